// Global setup of the integration project: names this vitest run for the container tests'
// shared image (testImage() in docker.ts builds it once), and removes that image at the end.
import { execFileSync } from 'node:child_process';
import { testImageTag } from './docker.ts';

export default function setup(): () => void {
  process.env.CHATQUAKE_TEST_RUN = String(process.pid);
  return () => {
    try {
      execFileSync('docker', ['rmi', '-f', testImageTag()], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // No engine, or no image: nothing to remove.
    }
  };
}
