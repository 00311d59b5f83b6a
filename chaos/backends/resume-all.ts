// The heal step both node backends share: resume every node still paused, each attempted even
// when one fails, and one error naming all that failed.

export async function resumeEach(
  paused: Iterable<string>,
  resume: (nodeId: string) => Promise<void>,
  verb: string,
): Promise<void> {
  const errors: string[] = [];
  for (const nodeId of [...paused]) {
    try {
      await resume(nodeId);
    } catch (error) {
      errors.push(`${nodeId}: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`${verb} failed for ${errors.join('; ')}`);
}
