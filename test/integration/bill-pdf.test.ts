/**
 * Bill documents (电费通知单): the bill PDF and the printable batch of a run, on PGlite and (with
 * DATABASE_URL) PostgreSQL. The PDF text is decoded from the content streams (FlateDecode) through
 * the embedded font's ToUnicode CMap, so Chinese text is checked as text, not as glyph ids.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { createRun, workRun } from '../../src/app/billing/run.js';
import { approveClean, issueRun } from '../../src/app/billing/review.js';
import { loadBillDocs, newBillDocument, openRunPrint, paymentReference, renderBillPage } from '../../src/app/billing/bill-pdf.js';
import { chineseAmount } from '../../src/domain/money/chinese-amount.js';
import { maskName } from '../../src/domain/security/mask.js';

/** Decoded PDF: page count, text of each content stream in file order, document info. */
export function readPdf(buf: Buffer): { pages: number; texts: string[]; text: string; raw: string } {
  const s = buf.toString('latin1');
  expect(s.startsWith('%PDF-1.')).toBe(true);
  expect(s.trimEnd().endsWith('%%EOF')).toBe(true);
  const streams: Array<{ dict: string; data: string }> = [];
  const re = /(\d+) 0 obj\s*(<<[\s\S]*?>>)\s*stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const start = m.index + m[0].length;
    const len = /\/Length (\d+)/.exec(m[2]);
    const end = len ? start + Number(len[1]) : s.indexOf('endstream', start);
    const raw = Buffer.from(s.slice(start, end), 'latin1');
    const data = /\/FlateDecode/.test(m[2]) ? zlib.inflateSync(raw).toString('latin1') : raw.toString('latin1');
    streams.push({ dict: m[2], data });
    re.lastIndex = end;
  }
  // ToUnicode CMap (one font in the whole document): code -> text
  const cmap = new Map<number, string>();
  const hexText = (h: string) => String.fromCharCode(...(h.replace(/\s+/g, ' ').trim().split(' ').map((x) => parseInt(x, 16))));
  for (const st of streams.filter((x) => x.data.includes('beginbfrange') || x.data.includes('beginbfchar'))) {
    for (const r of st.data.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g)) {
      const from = parseInt(r[1], 16);
      [...r[3].matchAll(/<([0-9a-fA-F ]+)>/g)].forEach((d, i) => cmap.set(from + i, hexText(d[1])));
    }
    const rangesOnly = st.data.replace(/<[0-9a-fA-F]+>\s*<[0-9a-fA-F]+>\s*\[[^\]]*\]/g, '').replace(/begincodespacerange[\s\S]*?endcodespacerange/, '');
    for (const r of rangesOnly.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const from = parseInt(r[1], 16), to = parseInt(r[2], 16), dst = parseInt(r[3], 16);
      for (let c = from; c <= to; c++) cmap.set(c, String.fromCharCode(dst + c - from));
    }
  }
  const decodeHex = (h: string) => {
    const hex = h.replace(/\s+/g, '');
    if (cmap.size === 0) return Buffer.from(hex, 'hex').toString('latin1'); // standard font, WinAnsi
    let out = '';
    for (let i = 0; i + 4 <= hex.length; i += 4) out += cmap.get(parseInt(hex.slice(i, i + 4), 16)) ?? '\ufffd';
    return out;
  };
  const texts = streams.filter((x) => /\bBT\b/.test(x.data) && /\bTf\b/.test(x.data)).map((x) => {
    let out = '';
    for (const op of x.data.matchAll(/\[((?:<[0-9a-fA-F\s]*>|\([^)]*\)|[-\d.\s])*)\]\s*TJ|<([0-9a-fA-F\s]*)>\s*Tj|\bET\b/g)) {
      if (op[0] === 'ET') out += '\n';
      else if (op[2] !== undefined) out += decodeHex(op[2]);
      else for (const part of op[1].matchAll(/<([0-9a-fA-F\s]*)>|\(([^)]*)\)/g)) out += part[1] !== undefined ? decodeHex(part[1]) : part[2];
    }
    return out;
  });
  const pages = (s.match(/\/Type \/Page\b(?!s)/g) ?? []).length;
  return { pages, texts, text: texts.join('\f'), raw: s };
}

interface Acc { id: number; account_no: string; name: string; meter_id: number; metering_point_id: number; org_code: string; reading_route_id: number | null }

describe.each(engines())('bill documents on %s', (engine) => {
  let t: TestApp;
  let mine: Acc; // the demo customer's account
  let res: Acc[]; // more 城关 residential accounts, two of them on one route
  let other: Acc; // 东城
  let runId = 0;
  let trialRunId = 0;
  const at = (d: string) => new Date(d + 'T10:00:00+08:00');
  const billOf = (accountId: number, trial = false) => t.db.kysely.selectFrom('bills').selectAll().where('account_id', '=', accountId).where('period', '=', '2026-10').where('trial', '=', trial).executeTakeFirstOrThrow();

  async function reading(a: Acc, period: string, readAt: Date, regs: Record<string, [string, string]>) {
    await t.db.kysely.insertInto('register_readings').values(Object.entries(regs).map(([register, [value, c]]) => ({
      account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, register, read_at: readAt, billing_period: period,
      value, consumption: c, source: 'import' as const, status: 'accepted' as const, rule_results: '[]',
    }))).execute();
  }

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 120 });
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').innerJoin('meter_installations as mi', 'mi.account_id', 'a.id')
      .select(['a.id', 'a.account_no', 'a.name', 'mi.meter_id', 'mi.metering_point_id', 'o.code as org_code', 'a.reading_route_id', 'a.tariff_code'])
      .where('a.status', '=', 'active').where('a.opened_on', '<', '2026-01-01').where('mi.removed_on', 'is', null).orderBy('a.id').execute();
    const login = await t.db.kysely.selectFrom('customer_logins as cl').innerJoin('users as u', 'u.id', 'cl.user_id').select('cl.account_id').where('u.username', '=', 'customer').executeTakeFirstOrThrow();
    mine = rows.find((r) => r.id === login.account_id)!;
    expect(mine).toBeTruthy();
    const resAll = rows.filter((r) => r.org_code === 'ST01' && r.tariff_code === 'ZJ-RES-1H1B-LT1KV' && r.id !== mine.id && r.reading_route_id !== null);
    // two accounts on the same route (for the route batch and the walking order), plus two more
    const byRoute = new Map<number, Acc[]>();
    for (const r of resAll) (byRoute.get(r.reading_route_id!) ?? byRoute.set(r.reading_route_id!, []).get(r.reading_route_id!)!).push(r);
    const pair = [...byRoute.values()].find((l) => l.length >= 2)!;
    expect(pair).toBeTruthy();
    res = [pair[0], pair[1], ...resAll.filter((r) => !pair.slice(0, 2).includes(r)).slice(0, 2)];
    other = rows.find((r) => r.org_code === 'ST02' && r.tariff_code === 'ZJ-RES-1H1B-LT1KV')!;
    // the customer's account bills as domain-cn R-2: 2600 kWh earlier this ladder year, 峰 200 谷 150 → 166.30
    await t.db.kysely.updateTable('accounts').set({ tariff_code: 'ZJ-RES-1H1B-LT1KV', household_size: 1, shared_meter: false }).where('id', '=', mine.id).execute();
    await reading(mine, '2026-09', at('2026-09-30'), { TOTAL: ['12600', '2600'], PEAK: ['7600', '1600'], VALLEY: ['5000', '1000'] });
    await reading(mine, '2026-10', at('2026-10-31'), { TOTAL: ['12950', '350'], PEAK: ['7800', '200'], VALLEY: ['5150', '150'] });
    for (const [i, a] of [...res, other].entries()) {
      await reading(a, '2026-09', at('2026-09-30'), { TOTAL: [String(3000 + i), '180'], PEAK: ['1800', '100'], VALLEY: ['1200', '80'] });
      await reading(a, '2026-10', at('2026-10-31'), { TOTAL: [String(3200 + i + 10 * i), String(200 + 10 * i)], PEAK: ['1920', '120'], VALLEY: ['1280', String(80 + 10 * i)] });
    }
    // walking order on the shared route: the higher 户号 is walked first
    const [first, second] = [res[0], res[1]].sort((x, y) => (x.account_no < y.account_no ? 1 : -1));
    for (const [seq, a] of [[1, first], [2, second]] as const) {
      await t.db.kysely.insertInto('reading_tasks').values({ route_id: a.reading_route_id!, billing_period: '2026-10', account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, due_date: '2026-10-31', sequence: seq, status: 'read' }).execute();
    }
    const ids = [mine.id, ...res.map((a) => a.id), other.id];
    const trial = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: ids, trial: true });
    trialRunId = trial.run.id;
    await workRun(t.db, trialRunId, 'trial');
    const real = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: ids });
    runId = real.run.id;
    await workRun(t.db, runId, 'w');
    await approveClean(t.db, SYSTEM_ACTOR, runId);
    // one bill stays approved (not issued) for the watermark check
    await t.db.kysely.updateTable('bills').set({ status: 'held', action_reason: 'test' }).where('run_id', '=', runId).where('account_id', '=', res[3].id).execute();
    await issueRun(t.db, SYSTEM_ACTOR, runId, { issueDate: '2026-11-05' });
  }, 240_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('a bill PDF is a valid one-page A4 PDF with the bill as text: 户号, name, period, readings, lines, total in figures and 大写, due date, channels', async () => {
    const b = await billOf(mine.id);
    expect(b).toMatchObject({ status: 'issued', amount_total: '166.30', due_date: '2026-11-20' });
    const r = await t.call('GET', `/api/v1/bills/${b.id}/pdf`, { cookie: await t.login('admin') });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(String(r.headers['content-disposition'])).toContain(`bill-${mine.account_no}-2026-10.pdf`);
    const res0 = await t.app.inject({ method: 'GET', url: `/api/v1/bills/${b.id}/pdf`, headers: { cookie: await t.login('admin') } });
    const pdf = readPdf(res0.rawPayload);
    expect(pdf.pages).toBe(1);
    expect(res0.rawPayload.toString('latin1')).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    const text = pdf.text;
    if (res0.headers['x-bill-font'] === 'cjk') {
      for (const s of ['电费通知单', '示范县供电公司', '城关供电所', '户号', mine.account_no, mine.name, '电费年月', '2026-10', '2026-10-01 ~ 2026-10-31',
        '上次示数', '本次示数', '倍率', '有功总', '12600', '12950', '峰', '7600', '7800',
        '166.30', '壹佰陆拾陆元叁角整', '交费截止日', '2026-11-20', '柜台交费', '银行代收', '网上交费', paymentReference(mine.account_no, '2026-10', '166.30')]) {
        expect(text, s).toContain(s);
      }
      const lines = await t.db.kysely.selectFrom('bill_lines').select(['name_zh', 'amount']).where('bill_id', '=', b.id).execute();
      expect(lines.length).toBeGreaterThan(1);
      for (const l of lines) {
        expect(text).toContain(l.name_zh);
        expect(text).toContain(l.amount);
      }
      expect(text).not.toContain('未发行');
      expect(text).not.toContain('试算');
    } else {
      for (const s of ['Electricity bill', mine.account_no, '2026-10', '166.30', '2026-11-20']) expect(text).toContain(s);
    }
    expect(pdf.raw).toContain(`(account ${mine.account_no} period 2026-10 amount 166.30 due 2026-11-20 status issued)`);
  });

  it('the customer downloads the bills of their own account; another account gives 403 OUT_OF_SCOPE', async () => {
    const customer = await t.login('customer');
    const own = await t.call('GET', `/api/v1/bills/${(await billOf(mine.id)).id}/pdf`, { cookie: customer });
    expect(own.status).toBe(200);
    expect(own.headers['content-type']).toBe('application/pdf');
    const theirs = await t.call('GET', `/api/v1/bills/${(await billOf(res[0].id)).id}/pdf`, { cookie: customer });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.code).toBe('OUT_OF_SCOPE');
    // trial bills of the own account are not shown to the customer
    const trial = await t.call('GET', `/api/v1/bills/${(await billOf(mine.id, true)).id}/pdf`, { cookie: customer });
    expect(trial.status).toBe(404);
  });

  it('staff: account.read in scope (clerk sees the masked name), other 供电所 403, unknown bill 404', async () => {
    const b = await billOf(res[0].id);
    const clerk = await t.app.inject({ method: 'GET', url: `/api/v1/bills/${b.id}/pdf`, headers: { cookie: await t.login('clerk') } });
    expect(clerk.statusCode).toBe(200);
    if (clerk.headers['x-bill-font'] === 'cjk' && [...res[0].name].length >= 2) {
      const text = readPdf(clerk.rawPayload).text;
      expect(text).toContain(maskName(res[0].name)!);
      expect(text).not.toContain(res[0].name);
    }
    const clerk2 = await t.call('GET', `/api/v1/bills/${b.id}/pdf`, { cookie: await t.login('clerk2') });
    expect(clerk2.status).toBe(403);
    expect(clerk2.body.error.code).toBe('OUT_OF_SCOPE');
    const none = await t.call('GET', '/api/v1/bills/99999999/pdf', { cookie: await t.login('checker') });
    expect(none.status).toBe(404);
    const bad = await t.call('GET', '/api/v1/bills/abc/pdf', { cookie: await t.login('checker') });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('id');
  });

  it('bills not issued carry a watermark: 试算 for a trial bill, 未发行 for a held bill', async () => {
    const checker = await t.login('checker');
    const trial = await t.app.inject({ method: 'GET', url: `/api/v1/bills/${(await billOf(mine.id, true)).id}/pdf`, headers: { cookie: checker } });
    expect(trial.statusCode).toBe(200);
    const held = await t.app.inject({ method: 'GET', url: `/api/v1/bills/${(await billOf(res[3].id)).id}/pdf`, headers: { cookie: checker } });
    expect(held.statusCode).toBe(200);
    if (trial.headers['x-bill-font'] === 'cjk') {
      expect(readPdf(trial.rawPayload).text).toContain('试算');
      expect(readPdf(held.rawPayload).text).toContain('未发行');
    } else {
      expect(readPdf(trial.rawPayload).text).toContain('TRIAL');
      expect(readPdf(held.rawPayload).text).toContain('NOT ISSUED');
    }
  });

  it('the print batch of a run has a cover page and one page per issued bill, in route and walking order', async () => {
    const issued = await t.db.kysely.selectFrom('bills').select(['id', 'account_no', 'amount_total']).where('run_id', '=', runId).where('status', '=', 'issued').execute();
    expect(issued.length).toBe(5); // 6 billed, one held
    const checker = await t.login('checker');
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/billing/runs/${runId}/print`, headers: { cookie: checker } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['x-bill-count']).toBe(String(issued.length));
    const total = issued.reduce((s, b) => s + BigInt(b.amount_total.replace('.', '')), 0n);
    const pdf = readPdf(r.rawPayload);
    expect(pdf.pages).toBe(issued.length + 1);
    expect(pdf.texts.length).toBe(issued.length + 1);
    const fmtTotal = `${total / 100n}.${String(total % 100n).padStart(2, '0')}`;
    expect(r.headers['x-bill-amount-total']).toBe(fmtTotal);
    if (r.headers['x-bill-font'] === 'cjk') {
      expect(pdf.texts[0]).toContain('批量打印');
      expect(pdf.texts[0]).toContain(chineseAmount(fmtTotal));
      // every issued bill once, the held one not
      for (const b of issued) expect(pdf.texts.filter((x) => x.includes(b.account_no)).length).toBe(1);
      expect(pdf.text).not.toContain(res[3].account_no);
    }
    // walking order on the shared route: sequence 1 (the higher 户号) before sequence 2
    const pageOf = (no: string) => pdf.texts.findIndex((x) => x.includes(no));
    const [first, second] = [res[0], res[1]].sort((x, y) => (x.account_no < y.account_no ? 1 : -1));
    expect(pageOf(first.account_no)).toBeGreaterThan(0);
    expect(pageOf(first.account_no)).toBeLessThan(pageOf(second.account_no));

    // one route only (by code): its two bills
    const route = await t.db.kysely.selectFrom('reading_routes').select(['id', 'code']).where('id', '=', res[0].reading_route_id!).executeTakeFirstOrThrow();
    const byRoute = await t.app.inject({ method: 'GET', url: `/api/v1/billing/runs/${runId}/print?route=${route.code}`, headers: { cookie: checker } });
    expect(byRoute.statusCode).toBe(200);
    const rp = readPdf(byRoute.rawPayload);
    const inRoute = await t.db.kysely.selectFrom('bills as b').innerJoin('accounts as a', 'a.id', 'b.account_id').select('b.id')
      .where('b.run_id', '=', runId).where('b.status', '=', 'issued').where('a.reading_route_id', '=', route.id).execute();
    expect(inRoute.length).toBeGreaterThanOrEqual(2);
    expect(inRoute.length).toBeLessThan(issued.length);
    expect(rp.pages).toBe(inRoute.length + 1);
    expect(byRoute.headers['x-bill-count']).toBe(String(inRoute.length));
    const byId = await t.app.inject({ method: 'GET', url: `/api/v1/billing/runs/${runId}/print?route=${route.id}`, headers: { cookie: checker } });
    expect(readPdf(byId.rawPayload).pages).toBe(inRoute.length + 1);
  });

  it('streams in chunks: N bills, N+1 pages whatever the chunk size; errors before the stream are clear', async () => {
    const p = await openRunPrint(t.db, SYSTEM_ACTOR, runId, { chunkSize: 2 });
    const parts: Buffer[] = [];
    for await (const c of p.stream) parts.push(c as Buffer);
    expect(readPdf(Buffer.concat(parts)).pages).toBe(p.count + 1);
    expect(p.count).toBe(5);
    const checker = await t.login('checker');
    const trial = await t.call('GET', `/api/v1/billing/runs/${trialRunId}/print`, { cookie: checker });
    expect(trial.status).toBe(409);
    const badRoute = await t.call('GET', `/api/v1/billing/runs/${runId}/print?route=NOPE`, { cookie: checker });
    expect(badRoute.status).toBe(400);
    expect(badRoute.body.error.details.field).toBe('route');
    const noRun = await t.call('GET', '/api/v1/billing/runs/99999999/print', { cookie: checker });
    expect(noRun.status).toBe(404);
    const clerk = await t.call('GET', `/api/v1/billing/runs/${runId}/print`, { cookie: await t.login('clerk') });
    expect(clerk.status).toBe(403);
    expect(clerk.body.error.code).toBe('FORBIDDEN');
  });

  it('a long bill (12 registers, 30 lines, two tariff segments) still fits one A4 page', async () => {
    const [d] = await loadBillDocs(t.db.kysely, [(await billOf(mine.id)).id], () => true);
    const big = {
      ...d,
      tariffs: [{ ...d.tariffs[0], from: '2026-10-01', to: '2026-10-15' }, { ...d.tariffs[0], version: 'next', from: '2026-10-16', to: '2026-10-31' }],
      readings: Array.from({ length: 12 }, (_, i) => ({ ...d.readings[0], register: ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REACTIVE', 'MAX_DEMAND'][i % 7] })),
      lines: Array.from({ length: 30 }, (_, i) => ({ ...d.lines[0], nameZh: `很长的电费项目名称${i}`.repeat(4), segment: i % 2 })),
    };
    const { doc, pen } = newBillDocument('t', 's');
    const parts: Buffer[] = [];
    doc.on('data', (c: Buffer) => parts.push(c));
    const done = new Promise((r) => doc.on('end', r));
    doc.addPage();
    renderBillPage(pen, big);
    doc.end();
    await done;
    const pdf = readPdf(Buffer.concat(parts));
    expect(pdf.pages).toBe(1);
    if (pen.cjk) expect(pdf.text).toContain('壹佰陆拾陆元叁角整');
  });
});
