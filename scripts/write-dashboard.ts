// `npm run dashboard`: writes dashboards/chatquake.json, Grafana's classic JSON for the game-day
// dashboard (harness/grafana/dashboard.ts). test/harness/dashboard.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { DASHBOARD_FILE, dashboardText } from '../harness/index.ts';

const target = new URL(`../${DASHBOARD_FILE}`, import.meta.url);
writeFileSync(target, dashboardText());
console.log(`wrote ${DASHBOARD_FILE}`);
