// @ts-check
// Browser code shared by report.html and compare.html: formatting, building DOM without
// innerHTML (run data is text, never markup), and uPlot time charts that share one time axis:
// a synced cursor, synced zoom, and the fault windows shaded as one lane per fault and target.
// Inlined as a classic script; it exposes one global, CQ, declared here and filled in by the
// files inlined after it (see COMMON_SCRIPTS in reports/html.ts), in order: common-format.js,
// common-dom.js, common-time.js, common-faults.js, common-charts.js.

// biome-ignore lint/correctness/noUnusedVariables: the global that report.js and compare.js use.
const CQ = {};
