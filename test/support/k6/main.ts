// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The process runK6 starts (with tsx): it runs one k6 script
// under the stand-in and hands the result back over the IPC channel. It is a process of its own
// because the module hooks that map `k6/*` to the stand-in apply to Node's own loader, which
// code running inside vitest does not use.
import { z } from 'zod';
import { describeIssues } from '../../../contracts/errors.ts';
import { runInProcess } from './runner.ts';

const argsSchema = z.object({
  script: z.string().min(1),
  out: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
  executionSegment: z.string().optional(),
});

const parsed = argsSchema.safeParse(JSON.parse(process.argv[2] ?? '{}'));
if (!parsed.success) {
  console.error(`k6 stand-in: ${describeIssues(parsed.error, { root: 'args' })}`);
  process.exit(2);
}
const { script, ...options } = parsed.data;
const result = await runInProcess(script, options);
if (process.send === undefined) {
  console.log(JSON.stringify(result));
  process.exit(result.exitCode);
}
// Anything a script left running outside the k6 APIs must not keep the run alive.
process.send(result, () => process.exit(result.exitCode));
