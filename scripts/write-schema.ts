// `npm run schema`: writes schema/scenario.schema.json from the zod schema, the file editors
// read through a YAML scenario's `# yaml-language-server: $schema=...` line or a JSON one's
// "$schema" key. test/harness/scenario-json-schema.test.ts fails when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchemaText } from '../harness/index.ts';

const target = new URL(`../${SCENARIO_SCHEMA_FILE}`, import.meta.url);
writeFileSync(target, scenarioJsonSchemaText());
console.log(`wrote ${SCENARIO_SCHEMA_FILE}`);
