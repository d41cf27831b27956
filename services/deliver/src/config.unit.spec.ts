import { ConfigError, describeSettings, loadConfig } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { asOptionalToken, assertTokensServe, asTokenList, settings } from './config.ts';
import { configuredProjections } from './deliver.ts';

// API tokens are secrets: a bad DELIVER_API_TOKENS is refused with a message that names the entry (its
// position, its recipient), never a token, so the error line on a terminal or in CI leaks nothing.

const A = 'aaaaaaaaaaaaaaaaaaaa-secret-1';
const B = 'bbbbbbbbbbbbbbbbbbbb-secret-2';

describe('asTokenList', () => {
  it('maps each token to its recipient', () => {
    expect(asTokenList(` sbb-stagemarkt:${A} , svb-kostendelersnorm:${B}`)).toEqual(
      new Map([
        [A, 'sbb-stagemarkt'],
        [B, 'svb-kostendelersnorm'],
      ]),
    );
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'a short token',
      `sbb-stagemarkt:${A},svb-kostendelersnorm:short-${B.slice(0, 5)}`,
      /entry 2 of 2 \(svb-kostendelersnorm\): .*shorter than 16/,
    ],
    ['no recipient', `${A}`, /entry 1 of 1: expected recipient:token/],
    ['a token where the recipient goes', `${B}/x:${A}`, /entry 1 of 1: expected a recipient id/],
    ['an empty entry', `sbb-stagemarkt:${A},,svb-kostendelersnorm:${B}`, /entry 2 of 3 is empty/],
    [
      'a shared token',
      `sbb-stagemarkt:${A},svb-kostendelersnorm:${A}`,
      /entry 2 of 2 \(svb-kostendelersnorm\): the same token as sbb-stagemarkt/,
    ],
    ['a recipient twice', `sbb-stagemarkt:${A},sbb-stagemarkt:${B}`, /entry 2 of 2 \(sbb-stagemarkt\): sbb-stagemarkt has a token already/],
    ['a space in a token', `sbb-stagemarkt:${A} ${B}`, /entry 1 of 1 \(sbb-stagemarkt\): the token may hold only/],
  ];
  it.each(bad)('refuses %s, naming the entry and never a token', (_, raw, message) => {
    let error: Error | undefined;
    try {
      asTokenList(raw);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    for (const secret of [A, B, A.slice(0, 12), B.slice(-10), 'short-']) expect(error?.message).not.toContain(secret);
  });
});

describe('assertTokensServe', () => {
  const served = ['sbb-stagemarkt', 'svb-kostendelersnorm'];
  const refusal = (raw: string) => {
    try {
      assertTokensServe(asTokenList(raw), served);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  };

  it('accepts tokens for recipients of the projections file only, naming an entry by position and never a token', () => {
    expect(refusal(`sbb-stagemarkt:${A},svb-kostendelersnorm:${B}`)).toBeUndefined();
    expect(refusal(`sbb-stagemarkt:${A},ocw-minister:${B}`)).toBe(
      'DELIVER_API_TOKENS: entry 2 of 2: not a recipient deliver keeps a projection for; expected one of sbb-stagemarkt, svb-kostendelersnorm',
    );
    // a token pasted where the recipient goes may look like a recipient id: it is refused here, unseen
    const message = refusal(`${A}:${B}`);
    expect(message).toMatch(/entry 1 of 1: not a recipient deliver keeps a projection for/);
    for (const secret of [A, B]) expect(message).not.toContain(secret);
  });
});

describe('the deliver configuration', () => {
  const required = { DELIVER_API_TOKENS: `sbb-stagemarkt:${A}` };

  it('never shows a bad DELIVER_API_TOKENS value in its error', () => {
    const raw = `sbb-stagemarkt:${A},svb-kostendelersnorm:${B},ggd-jeugdgezondheid:tooshort1`;
    let error: unknown;
    try {
      loadConfig(settings, { DELIVER_API_TOKENS: raw });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toBe(
      'DELIVER_API_TOKENS (secret, value not shown) is invalid: entry 3 of 3 (ggd-jeugdgezondheid): the token is shorter than 16 characters',
    );
    for (const secret of [A, B, 'tooshort1', raw]) expect(message).not.toContain(secret);
  });

  it('never shows a bad DELIVER_METRICS_TOKEN either', () => {
    expect(() => loadConfig(settings, { ...required, DELIVER_METRICS_TOKEN: 'short-secret' })).toThrow(
      'DELIVER_METRICS_TOKEN (secret, value not shown) is invalid: the token is shorter than 16 characters',
    );
  });

  it('leaves /admin/rebuild closed without the operator token (DELIVER_METRICS_TOKEN), and reads one when given', () => {
    expect(loadConfig(settings, required).metricsToken).toBeUndefined();
    expect(loadConfig(settings, { ...required, DELIVER_METRICS_TOKEN: B }).metricsToken).toBe(B);
    expect(asOptionalToken('')).toBeUndefined();
  });

  it('marks the tokens secret in the generated README table, and reads the v2 recipient topics by default', () => {
    const table = describeSettings(settings).join('\n');
    expect(table).toContain('| `DELIVER_API_TOKENS` | (required) | **secret**: ');
    expect(table).toContain('| `DELIVER_METRICS_TOKEN` | (unset) | **secret**: ');
    const config = loadConfig(settings, required);
    expect(configuredProjections(config)).toEqual([
      { recipient: 'sbb-stagemarkt', kind: 'stagemarkt', input: 'recipient.sbb-stagemarkt.v2' },
      { recipient: 'svb-kostendelersnorm', kind: 'svb', input: 'recipient.svb-kostendelersnorm.v2' },
      { recipient: 'ggd-jeugdgezondheid', kind: 'ggd', input: 'recipient.ggd-jeugdgezondheid.v2' },
    ]);
  });

  it('lets STAGEMARKT_TOPIC, SVB_TOPIC and GGD_TOPIC override the input topic of their recipient', () => {
    const config = loadConfig(settings, { ...required, SVB_TOPIC: 'test.svb' });
    expect(configuredProjections(config).map((p) => p.input)).toEqual([
      'recipient.sbb-stagemarkt.v2',
      'test.svb',
      'recipient.ggd-jeugdgezondheid.v2',
    ]);
  });

  it('puts RECIPIENT_TOPIC_PREFIX before the projections file’s input topics, not before an override', () => {
    const config = loadConfig(settings, { ...required, RECIPIENT_TOPIC_PREFIX: 'test-1.', SVB_TOPIC: 'test.svb' });
    expect(configuredProjections(config).map((p) => p.input)).toEqual([
      'test-1.recipient.sbb-stagemarkt.v2',
      'test.svb',
      'test-1.recipient.ggd-jeugdgezondheid.v2',
    ]);
    expect(() => loadConfig(settings, { ...required, RECIPIENT_TOPIC_PREFIX: 'a b/' })).toThrow(
      'RECIPIENT_TOPIC_PREFIX="a b/" is invalid: expected a topic-name prefix: letters, digits, ".", "_" and "-" only',
    );
  });

  it('stops on a bad projections file, naming the setting, the file and the problem', () => {
    expect(() => loadConfig(settings, { ...required, DELIVER_PROJECTIONS_FILE: 'services/deliver/no-such-file.yaml' })).toThrow(
      /^DELIVER_PROJECTIONS_FILE="services\/deliver\/no-such-file.yaml" is invalid: \/.*services\/deliver\/no-such-file.yaml: cannot be read \(ENOENT\)$/,
    );
  });
});
