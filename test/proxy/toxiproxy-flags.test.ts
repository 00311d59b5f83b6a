// The project image's /toxiproxy reads Toxiproxy's server flags as Go's flag package does, so a
// compose file or script written for Toxiproxy's image starts chatquake's proxy unchanged.
import { describe, expect, it } from 'vitest';
import { fromToxiproxyFlags } from '../../proxy/toxiproxy-flags.ts';

describe("Toxiproxy's server flags", () => {
  it('maps the image default and every value flag, in each of Go’s spellings', () => {
    expect(fromToxiproxyFlags(['-host=0.0.0.0'])).toEqual({ argv: ['--host=0.0.0.0'] });
    expect(fromToxiproxyFlags(['--host', '0.0.0.0', '-port', '9000', '--config=/c.json', '-seed=7'])).toEqual(
      {
        argv: ['--host=0.0.0.0', '--port=9000', '--config=/c.json', '--seed=7'],
      },
    );
    expect(fromToxiproxyFlags([])).toEqual({ argv: [] });
  });

  it('accepts the metrics switches (always on here) and stops at --', () => {
    expect(
      fromToxiproxyFlags(['-proxy-metrics', '-runtime-metrics=false', '-port=1', '--', '-seed=3']),
    ).toEqual({
      argv: ['--port=1'],
    });
  });

  it('answers -version and -h, on or off as Go reads booleans', () => {
    expect(fromToxiproxyFlags(['-version'])).toEqual({ version: true });
    expect(fromToxiproxyFlags(['-version=false', '-host=h'])).toEqual({ argv: ['--host=h'] });
    expect(fromToxiproxyFlags(['--help'])).toEqual({ help: true });
  });

  it('refuses what Go refuses, with Go’s words', () => {
    expect(fromToxiproxyFlags(['-bogus'])).toEqual({ error: 'flag provided but not defined: -bogus' });
    expect(fromToxiproxyFlags(['-port'])).toEqual({ error: 'flag needs an argument: -port' });
    expect(fromToxiproxyFlags(['-version=maybe'])).toEqual({
      error: 'invalid boolean value "maybe" for -version',
    });
    expect(fromToxiproxyFlags(['0.0.0.0'])).toEqual({ error: 'unexpected argument "0.0.0.0"' });
  });
});
