/**
 * 报文解析: decode a DL/T 645-2007 frame on the server (POST /tools/dlt645/decode) and show its
 * meaning plus a byte breakdown; a second card builds a read-data request (POST
 * /tools/dlt645/read-frame). Needs `metering.tools`.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { Alert, Button, Card, Descriptions, Empty, Flex, Form, Grid, Input, Space, Tag, Tooltip, Typography } from 'antd';
import { BuildOutlined, ClearOutlined, ExperimentOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { Mono, monoStyle } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { ApiError } from '../../api/client';
import { hex2, meteringApi, parseHex, splitFrame, type Dlt645Value, type FrameAnalysis, type FramePart, type ReadFrame } from './api';
import { useMT, useMTx, type MT } from './i18n';

export const EXAMPLE_REQUEST = '68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16';
export const EXAMPLE_REPLY = '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16';
export const EXAMPLE_ABNORMAL = 'FE FE 68 12 90 78 56 34 12 68 D1 01 35 8D 16';

const PART_COLOURS: Record<FramePart['kind'], string> = {
  preamble: 'default',
  start: 'purple',
  address: 'blue',
  start2: 'purple',
  control: 'cyan',
  length: 'geekblue',
  data: 'gold',
  cs: 'green',
  end: 'purple',
  extra: 'red',
};

function ValueView({ value, unit }: { value: Dlt645Value; unit: string | null }): ReactNode {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number' || typeof value === 'string') {
    return (
      <Typography.Text strong style={monoStyle}>
        {String(value)}
        {unit ? ` ${unit}` : ''}
      </Typography.Text>
    );
  }
  if (Array.isArray(value)) {
    return (
      <Flex vertical gap={2}>
        {value.map((v, i) => (
          <Flex key={i} gap={6} align="baseline">
            <Typography.Text type="secondary" style={monoStyle}>
              [{i}]
            </Typography.Text>
            <ValueView value={v} unit={unit} />
          </Flex>
        ))}
      </Flex>
    );
  }
  return (
    <Flex vertical gap={2}>
      {Object.entries(value).map(([k, v]) => (
        <Flex key={k} gap={6} align="baseline">
          <Typography.Text type="secondary">{k}</Typography.Text>
          <ValueView value={v} unit={k === 'demand' ? unit : null} />
        </Flex>
      ))}
    </Flex>
  );
}

function ByteBreakdown({ bytes, checksumOk, mt }: { bytes: number[]; checksumOk: boolean | null; mt: MT }) {
  const parts = useMemo(() => splitFrame(bytes), [bytes]);
  return (
    <Flex wrap gap={8} data-testid="meter-bytes">
      {parts.map((p, i) => {
        const shown = p.plain ?? p.raw;
        const bad = p.kind === 'cs' ? checksumOk === false || (p.expected !== undefined && p.expected !== p.raw[0]) : p.kind === 'extra';
        const tag = (
          <Tag
            color={bad ? 'error' : PART_COLOURS[p.kind]}
            style={{ ...monoStyle, marginInlineEnd: 0, whiteSpace: 'normal', wordBreak: 'break-all' }}
            data-testid={`meter-part-${p.kind}`}
          >
            {shown.map(hex2).join(' ')}
          </Tag>
        );
        return (
          <Flex key={i} vertical gap={2} style={{ maxWidth: '100%' }}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {mt(`meter.part.${p.kind}`)}
              {p.kind === 'cs' && bad && p.expected !== undefined ? ` (${mt('meter.checksumShould', { cs: hex2(p.expected) })})` : ''}
            </Typography.Text>
            {p.kind === 'data' ? <Tooltip title={p.raw.map(hex2).join(' ')}>{tag}</Tooltip> : tag}
          </Flex>
        );
      })}
    </Flex>
  );
}

function AnalysisView({ a, mt }: { a: FrameAnalysis; mt: MT }) {
  const mtx = useMTx();
  const screens = Grid.useBreakpoint();
  const bytes = useMemo(() => (a.hex ? parseHex(a.hex) ?? [] : []), [a.hex]);
  const fnCode = a.control ? hex2(parseInt(a.control, 16) & 0x1f) : null;
  const meterErrors: string[] = [];
  if (a.errorWord !== null) {
    for (let bit = 0; bit < 8; bit++) if (a.errorWord & (1 << bit)) meterErrors.push(mtx(`meter.err.${bit}`, `bit ${bit}`));
  } else if (a.meterErrors) meterErrors.push(...a.meterErrors);

  const checksum =
    a.checksumOk === true ? (
      <Tag color="success" data-testid="meter-checksum">
        {mt('meter.checksumOk')}
      </Tag>
    ) : a.checksumOk === false ? (
      <Tag color="error" data-testid="meter-checksum">
        {mt('meter.checksumBad')}
      </Tag>
    ) : (
      <Tag data-testid="meter-checksum">{mt('meter.checksumUnknown')}</Tag>
    );

  const items = [
    { key: 'address', label: mt('meter.address'), children: a.address ? <Mono value={a.address} testId="meter-address" /> : '-' },
    {
      key: 'control',
      label: `${mt('meter.control')} / ${mt('meter.function')}`,
      children: a.control ? (
        <Space wrap size={4} data-testid="meter-control">
          <Mono value={a.control} copyable={false} strong />
          <span>{fnCode ? mtx(`meter.fn.${fnCode}`, a.function ?? fnCode) : a.function}</span>
          {a.abnormal && <Tag color="error">{mt('meter.abnormal')}</Tag>}
          {a.followUp && <Tag color="processing">{mt('meter.followUp')}</Tag>}
        </Space>
      ) : (
        '-'
      ),
    },
    { key: 'direction', label: mt('meter.direction'), children: a.direction ? <span data-testid="meter-direction">{mt(`meter.direction.${a.direction}`)}</span> : '-' },
    {
      key: 'di',
      label: mt('meter.di'),
      children: a.di ? (
        <Space wrap size={4}>
          <Mono value={a.di} testId="meter-di" />
          <span data-testid="meter-di-name">{a.name ?? ''}</span>
        </Space>
      ) : (
        '-'
      ),
    },
    {
      key: 'value',
      label: mt('meter.value'),
      children: (
        <span data-testid="meter-value">
          <ValueView value={a.value} unit={a.unit} />
        </span>
      ),
    },
    ...(a.time ? [{ key: 'time', label: mt('meter.time'), children: <Mono value={a.time} copyable={false} /> }] : []),
    ...(a.seq !== null ? [{ key: 'seq', label: mt('meter.seq'), children: String(a.seq) }] : []),
    { key: 'checksum', label: mt('meter.checksum'), children: checksum },
    ...(a.errorWord !== null || meterErrors.length
      ? [
          {
            key: 'errorWord',
            label: mt('meter.errorWord'),
            children: (
              <Space wrap size={4} data-testid="meter-error-word">
                {a.errorWord !== null && <Mono value={`0x${hex2(a.errorWord)}`} copyable={false} />}
                {meterErrors.map((m) => (
                  <Tag key={m} color="error">
                    {m}
                  </Tag>
                ))}
              </Space>
            ),
          },
        ]
      : []),
    { key: 'preamble', label: mt('meter.preamble'), children: a.preamble !== null ? mt('meter.preambleCount', { n: a.preamble }) : '-' },
    { key: 'data', label: mt('meter.dataPlain'), children: a.data ? <Mono value={a.data} /> : '-' },
  ];

  return (
    <Flex vertical gap={16} data-testid="meter-result">
      {a.error && a.errorCode !== 'METER_ERROR' ? (
        <Alert type="error" showIcon title={mt('meter.notOk')} description={<span data-testid="meter-error">{a.error}</span>} />
      ) : a.error ? (
        <Alert type="warning" showIcon title={mt('meter.abnormal')} description={<span data-testid="meter-error">{a.error}</span>} />
      ) : (
        <Alert type="success" showIcon title={mt('meter.ok')} />
      )}
      <Descriptions bordered size="small" column={screens.md ? 2 : 1} layout={screens.sm ? 'horizontal' : 'vertical'} items={items} />
      {bytes.length > 0 && (
        <div>
          <Typography.Title level={5} style={{ marginTop: 0 }}>
            {mt('meter.bytes')}
          </Typography.Title>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            {mt('meter.bytesHint')}
          </Typography.Paragraph>
          <ByteBreakdown bytes={bytes} checksumOk={a.checksumOk} mt={mt} />
        </div>
      )}
    </Flex>
  );
}

function BuildCard({ mt, onUse }: { mt: MT; onUse: (hex: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ address: string; di: string }>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ReadFrame | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (v: { address: string; di: string }) => {
    setBusy(true);
    setError(null);
    try {
      setResult(await meteringApi.readFrame(v.address.trim(), v.di.trim()));
    } catch (e) {
      setResult(null);
      if (e instanceof ApiError && (e.field === 'address' || e.field === 'di')) {
        form.setFields([{ name: e.field, errors: [fieldMessage(e)] }]);
      } else setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={mt('meter.build')} data-testid="meter-build-card">
      <Typography.Paragraph type="secondary">{mt('meter.buildHint')}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ address: '000000000001', di: '00010000' }} onFinish={run}>
        <Flex wrap gap={12} align="flex-end">
          <Form.Item
            name="address"
            label={mt('meter.buildAddress')}
            rules={[{ required: true, pattern: /^\s*[0-9Aa]{12}\s*$/, message: mt('meter.buildAddressRule') }]}
            style={{ marginBottom: 0, flex: '1 1 180px', minWidth: 0 }}
          >
            <Input style={monoStyle} maxLength={14} data-testid="meter-build-address" />
          </Form.Item>
          <Form.Item
            name="di"
            label={mt('meter.buildDi')}
            rules={[{ required: true, pattern: /^\s*[0-9A-Fa-f]{8}\s*$/, message: mt('meter.buildDiRule') }]}
            style={{ marginBottom: 0, flex: '1 1 160px', minWidth: 0 }}
          >
            <Input style={monoStyle} maxLength={10} data-testid="meter-build-di" />
          </Form.Item>
          <Button type="primary" htmlType="submit" icon={<BuildOutlined />} loading={busy} data-testid="meter-build-run">
            {mt('meter.buildRun')}
          </Button>
        </Flex>
      </Form>
      {error && <Alert style={{ marginTop: 16 }} type="error" showIcon title={error} data-testid="meter-build-error" />}
      {result && (
        <Flex vertical gap={8} style={{ marginTop: 16 }} data-testid="meter-build-result">
          <Typography.Text type="secondary">
            {mt('meter.buildResult')}{result.di} {result.name ?? ''}
          </Typography.Text>
          <div style={{ wordBreak: 'break-all' }}>
            <Mono value={result.hex} strong testId="meter-build-hex" />
          </div>
          <div>
            <Button size="small" onClick={() => onUse(result.hex)} data-testid="meter-build-use">
              {mt('meter.buildToInput')}
            </Button>
          </div>
        </Flex>
      )}
    </Card>
  );
}

export default function FrameAnalyzerPage() {
  const { t } = useI18n();
  const mt = useMT();
  const [text, setText] = useState('');
  const [inputError, setInputError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [analysis, setAnalysis] = useState<FrameAnalysis | null>(null);
  const [apiError, setApiError] = useState<string | null>(null);

  const decode = async (hex = text) => {
    if (!hex.trim()) return setInputError(mt('meter.inputRequired'));
    if (!parseHex(hex)) return setInputError(mt('meter.inputNotHex'));
    setInputError(null);
    setApiError(null);
    setBusy(true);
    try {
      setAnalysis(await meteringApi.decode(hex.trim()));
    } catch (e) {
      setAnalysis(null);
      setApiError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const fill = (hex: string) => {
    setText(hex);
    setInputError(null);
  };

  return (
    <PageContainer crumbs={[{ title: mt('meter.group') }, { title: mt('meter.title') }]} title={mt('meter.title')}>
      <Flex vertical gap={16} style={{ maxWidth: 1100 }}>
        <Card>
          <Typography.Paragraph type="secondary">{mt('meter.subtitle')}</Typography.Paragraph>
          <Form layout="vertical" onFinish={() => decode()}>
            <Form.Item label={mt('meter.input')} validateStatus={inputError ? 'error' : undefined} help={inputError ?? undefined} style={{ marginBottom: 12 }}>
              <Input.TextArea
                value={text}
                onChange={(e) => setText(e.target.value)}
                onPressEnter={(e) => {
                  if (!e.shiftKey) {
                    e.preventDefault();
                    void decode();
                  }
                }}
                placeholder={mt('meter.inputPlaceholder')}
                autoSize={{ minRows: 2, maxRows: 8 }}
                spellCheck={false}
                style={monoStyle}
                data-testid="meter-hex-input"
              />
            </Form.Item>
            <Flex wrap gap={8}>
              <Button type="primary" htmlType="submit" icon={<ExperimentOutlined />} loading={busy} data-testid="meter-decode">
                {mt('meter.decode')}
              </Button>
              <Button onClick={() => fill(EXAMPLE_REQUEST)} data-testid="meter-example-request">
                {mt('meter.exampleRequest')}
              </Button>
              <Button onClick={() => fill(EXAMPLE_REPLY)} data-testid="meter-example-reply">
                {mt('meter.exampleReply')}
              </Button>
              <Button onClick={() => fill(EXAMPLE_ABNORMAL)} data-testid="meter-example-abnormal">
                {mt('meter.exampleAbnormal')}
              </Button>
              <Button
                icon={<ClearOutlined />}
                onClick={() => {
                  setText('');
                  setAnalysis(null);
                  setApiError(null);
                  setInputError(null);
                }}
                data-testid="meter-clear"
              >
                {mt('meter.clear')}
              </Button>
            </Flex>
          </Form>
        </Card>
        <Card title={mt('meter.result')}>
          {apiError ? (
            <Alert type="error" showIcon title={apiError} data-testid="meter-api-error" />
          ) : analysis ? (
            <AnalysisView a={analysis} mt={mt} />
          ) : (
            <Empty description={mt('meter.empty')} />
          )}
        </Card>
        <BuildCard
          mt={mt}
          onUse={(hex) => {
            fill(hex);
            void decode(hex);
            window.scrollTo({ top: 0, behavior: 'smooth' });
          }}
        />
      </Flex>
    </PageContainer>
  );
}
