/**
 * 移动抄表: the meter reader's phone app (issue 4). Routes under /metering/field:
 *   /                          my routes of the period and the selected route's tasks
 *   /task/:routeId/:taskId     one task: values or exception, photo, GPS, save (offline queue)
 * State (tasks cache, offline queue, sync) lives in ./context; storage in ./store; the queue and
 * sync logic in ./queue (pure, unit-tested). docs/metering.md "Field app (移动抄表)".
 */
import { Route, Routes } from 'react-router-dom';
import { FieldProvider } from './context';
import FieldHome from './FieldHome';
import TaskPage from './TaskPage';

export default function FieldApp() {
  return (
    <FieldProvider>
      <Routes>
        <Route index element={<FieldHome />} />
        <Route path="task/:routeId/:taskId" element={<TaskPage />} />
        <Route path="*" element={<FieldHome />} />
      </Routes>
    </FieldProvider>
  );
}
