// `npm run bench:cron -- --explain`: what each sweep reads, from PostgreSQL's own account. The
// database session loads auto_explain (EXPLAIN (ANALYZE, BUFFERS) of every statement, sent back to
// the client as a NOTICE); this module sums the plans of each sweep: statements, buffers, and the rows
// every scan node produced or filtered out. A sweep that touches only due rows reads about as many
// rows as it acts on; one that reads far more is scanning rows that are not due.

/** postgres.js `connection` startup parameters that turn auto_explain on for the session. */
export const AUTO_EXPLAIN_SESSION = {
  session_preload_libraries: 'auto_explain',
  'auto_explain.log_min_duration': '0',
  'auto_explain.log_analyze': 'on',
  'auto_explain.log_buffers': 'on',
  'auto_explain.log_timing': 'off',
  'auto_explain.log_format': 'json',
  'auto_explain.log_level': 'notice',
} as const;

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
};

export type SweepPlans = {
  statements: number;
  ms: number;
  buffers: number;
  scans: Map<string, number>;
  /** each statement's own auto_explain text, for `CRON_EXPLAIN_DUMP=<sweep>` */
  raw: string[];
};

/** Collects auto_explain notices; `take()` returns (and forgets) what arrived since the last call. */
export function planCollector() {
  let current: SweepPlans = empty();
  function empty(): SweepPlans {
    return { statements: 0, ms: 0, buffers: 0, scans: new Map(), raw: [] };
  }
  function walk(node: PlanNode, scans: Map<string, number>) {
    if (node['Relation Name']) {
      const loops = node['Actual Loops'] ?? 1;
      const rows =
        ((node['Actual Rows'] ?? 0) +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        loops;
      const index = node['Index Name'] ? ` ${node['Index Name']}` : '';
      const key = `${node['Node Type']}${index} on ${node['Relation Name']}`;
      scans.set(key, (scans.get(key) ?? 0) + Math.round(rows));
    }
    for (const child of node.Plans ?? []) walk(child, scans);
  }
  return {
    onNotice(notice: { message?: string }) {
      const m = /^duration: ([\d.]+) ms\s+plan:\s*([\s\S]*)$/.exec(notice.message ?? '');
      if (!m) return;
      const plan = JSON.parse(m[2]!) as { Plan: PlanNode };
      current.statements++;
      current.raw.push(notice.message ?? '');
      current.ms += Number(m[1]);
      current.buffers += (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0);
      walk(plan.Plan, current.scans);
    },
    take(): SweepPlans {
      const out = current;
      current = empty();
      return out;
    },
  };
}

export function describePlans(name: string, actioned: number, p: SweepPlans): string {
  const scans = [...p.scans.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, rows]) => `    ${rows.toLocaleString('en-US').padStart(10)} rows  ${k}`)
    .join('\n');
  return `${name}: acted on ${actioned}, ${p.statements} statements, ${p.ms.toFixed(0)} ms in PostgreSQL, ${p.buffers.toLocaleString('en-US')} buffers\n${scans}`;
}
