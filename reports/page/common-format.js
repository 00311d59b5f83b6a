// @ts-check
// CQ's number formatting: the values in tables and tooltips, and the short axis ticks. Part of
// the common script (common.js says how its files fit together).

/** @param {number | null | undefined} ms */
CQ.fmtMs = (ms) => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
};

/** @param {number | null | undefined} s */
CQ.fmtSeconds = (s) => {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  return CQ.fmtMs(s * 1000);
};

/** Seconds since the run started as m:ss (h:mm:ss past an hour). @param {number | null | undefined} sec */
CQ.fmtClock = (sec) => {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
  const sign = sec < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(sec));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${s}` : `${sign}${m}:${s}`;
};

/** @param {number} sec */
CQ.fmtDuration = (sec) => {
  if (!Number.isFinite(sec)) return '–';
  if (sec < 60) return `${Math.round(sec * 10) / 10} s`;
  const m = Math.floor(sec / 60);
  const s = Math.round(sec % 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${s} s`;
};

/** @param {number | null | undefined} n */
CQ.fmtInt = (n) => {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
};

/** @param {number | null | undefined} n */
CQ.fmtNum = (n) => {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return CQ.fmtInt(n);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return String(Math.round(n * 100) / 100);
};

/** Axis ticks: short, no trailing zeros. uPlot passes null for a tick it skips. @param {number | null} ms */
CQ.axisMs = (ms) => {
  if (ms === null || !Number.isFinite(ms)) return '';
  if (ms >= 1000) return `${+(ms / 1000).toPrecision(3)} s`;
  return `${+ms.toPrecision(3)} ms`;
};

/** @param {number | null} n */
CQ.axisNum = (n) => {
  if (n === null || !Number.isFinite(n)) return '';
  if (Math.abs(n) >= 10_000) return `${+(n / 1000).toPrecision(3)}k`;
  return String(+n.toPrecision(4));
};

/** @param {number | null} s */
CQ.axisSeconds = (s) => (s === null ? '' : CQ.axisMs(s * 1000));

/**
 * Log-axis ticks at whole decades (and 2 and 5 within them when the range is narrow), so the
 * axis reads 10 ms, 100 ms, 1 s instead of a thicket of minor ticks.
 * @param {uPlot} _u @param {number} _axis @param {number} min @param {number} max
 */
CQ.logSplits = (_u, _axis, min, max) => {
  /** @type {number[]} */
  const out = [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const multiples = hi - lo <= 2 ? [1, 2, 5] : [1];
  for (let e = lo; e <= hi; e++) {
    for (const m of multiples) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out;
};

/** @param {number | null | undefined} r */
CQ.fmtPct = (r) => {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  if (r === 0) return '0%';
  if (r < 0.0001) return '<0.01%';
  return `${(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`;
};
