/**
 * Bill documents (电费通知单): one bill as PDF and the printable batch (批量打印) of a run, streamed
 * page by page. Use cases and rules: src/app/billing/bill-pdf.ts, docs/billing.md "Bill documents".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, route, type Deps } from '../http.js';
import { billPdf, openRunPrint } from '../../app/billing/bill-pdf.js';

export default async function billPdfRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/bills/:id/pdf', tags: ['billing'], params: idParam,
    summary: 'Bill PDF (电费通知单, Chinese; watermark 试算/未发行 unless issued). billing.review or account.read in scope; a customer gets the issued bills of their own accounts. Header x-bill-font: cjk or fallback',
    query: z.object({ disposition: z.enum(['inline', 'attachment']).default('attachment') }),
  }, async ({ actor, params, query, reply }) => {
    const r = await billPdf(db, actor, params.id);
    reply.header('content-type', 'application/pdf')
      .header('content-disposition', `${query.disposition}; filename="${r.filename}"`)
      .header('cache-control', 'private, no-store')
      .header('x-bill-font', r.font);
    return reply.send(r.pdf);
  });

  route(app, {
    method: 'GET', url: '/billing/runs/:id/print', tags: ['billing'], params: idParam,
    summary: 'Printable batch (批量打印): one PDF with a cover page and every issued bill of the run (optionally one reading route, by code or id), one bill per page in route and walking order; streamed',
    query: z.object({ route: z.string().trim().min(1).max(40).optional(), disposition: z.enum(['inline', 'attachment']).default('attachment') }),
  }, async ({ actor, params, query, reply }) => {
    const p = await openRunPrint(db, actor, params.id, { route: query.route });
    reply.header('content-type', 'application/pdf')
      .header('content-disposition', `${query.disposition}; filename="${p.filename}"`)
      .header('cache-control', 'private, no-store')
      .header('x-bill-count', String(p.count))
      .header('x-bill-amount-total', p.amountTotal)
      .header('x-bill-font', p.font);
    return reply.send(p.stream);
  });
}
