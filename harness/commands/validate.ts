// `chatquake validate <scenario> [flags]`: the resolved plan of a run — scenario, seed, workload,
// topology, region aliases, fault timeline, thresholds — for the seed, starting nothing.

import { formatTimeline } from '../../chaos/index.ts';
import { formatDuration } from '../../lib/duration.ts';
import { reportConfigError } from '../cli/config-error.ts';
import { applyEnvFlags } from '../cli/env.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { parseRunFlags } from '../cli/flags.ts';
import { formatContainerPlan, planContainers } from '../docker/plan.ts';
import { formatLayout } from '../local/layout.ts';
import { type PreparedRun, prepareRun } from '../scenario/prepare.ts';
import { formatThresholds } from '../scenario/thresholds.ts';
import { targetNamed } from '../targets/index.ts';

function describeRate(rate: PreparedRun['scenario']['workload']['rate']): string {
  if (typeof rate === 'number') return `${rate} msgs/s`;
  const stages = rate.stages.map((s) => {
    const where = s.regions
      ? ` (${Object.entries(s.regions)
          .map(([r, w]) => `${r}:${w}`)
          .join(' ')})`
      : '';
    return `${s.duration}→${s.target}/s${where}`;
  });
  return `from ${rate.startRate}/s: ${stages.join(', ')}`;
}

/** Docker mode's networks and containers, with a placeholder for the per-run network prefix. */
function containerBlock(prepared: PreparedRun, image: string): string[] {
  const plan = planContainers('chatquake-<run>', prepared.layout);
  return [
    '',
    'containers  (--mode docker)',
    ...formatContainerPlan(plan, image)
      .split('\n')
      .map((l) => `  ${l}`),
  ];
}

export function formatPlan(prepared: PreparedRun, docker?: { image: string }): string {
  const { scenario, workload } = prepared;
  const direct = workload.conversations.filter((c) => c.members.length === 2).length;
  const resident = workload.conversations.filter((c) => c.residency !== undefined).length;
  const t = scenario.topology;
  const lines = [
    `scenario  ${scenario.name}  (${prepared.path})`,
    `          ${scenario.description.replace(/\s+/g, ' ').trim()}`,
    `seed      ${prepared.seed}${prepared.seedDrawn ? '  (drawn at random; pass --seed to repeat it)' : ''}`,
    `load      ${formatDuration(scenario.durationMs)}, ${describeRate(scenario.workload.rate)} ${scenario.workload.arrival}, ${workload.users.length} users, ${workload.conversations.length} conversations (${direct} direct, ${workload.conversations.length - direct} groups${resident > 0 ? `, ${resident} residency-bound` : ''})`,
    `target    ${scenario.target}`,
    `servers   ${targetNamed(scenario.target).describeServers(t, prepared.targetOptions)}`,
    `converge  within ${formatDuration(scenario.convergenceDeadlineMs)} of the heal`,
    '',
    'topology',
    ...formatLayout(prepared.layout)
      .split('\n')
      .map((l) => `  ${l}`),
    ...(docker === undefined ? [] : containerBlock(prepared, docker.image)),
    '',
    `aliases   ${Object.entries(prepared.aliases)
      .map(([a, r]) => `${a}=${r}`)
      .join('  ')}`,
    '',
    formatTimeline(prepared.faults).trimEnd(),
    '',
    'thresholds',
    ...formatThresholds(prepared.thresholds).map((l) => `  ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const flags = parseRunFlags(argv, 'validate');
    applyEnvFlags(flags.env);
    const prepared = await prepareRun(flags);
    process.stdout.write(formatPlan(prepared, flags.mode === 'docker' ? { image: flags.image } : undefined));
    return ExitCode.ok;
  } catch (error) {
    const code = reportConfigError(error);
    if (code === undefined) throw error;
    return code;
  }
}
