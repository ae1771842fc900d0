/** Standard Webhooks signing: the specification's own example, generated secrets, the hint, the retry schedule. */
import { describe, expect, it } from 'vitest';
import { backoffMs, nextAttemptAt } from '../../src/bridge/webhooks/retry-schedule.js';
import { generateSecret, secretHint, sign, signedHeaders } from '../../src/bridge/webhooks/signature.js';
import { verifySignature } from './receiver.js';

describe('Standard Webhooks signature', () => {
  it("matches the specification's example", () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs headers a receiver verifies, and generates secrets of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
    const h = signedHeaders(secret, 'evt_1_2-0', 1700000000, '{"a":1}');
    expect(h['webhook-id']).toBe('evt_1_2-0');
    expect(h['webhook-timestamp']).toBe('1700000000');
    expect(
      verifySignature(secret, 'evt_1_2-0', '1700000000', '{"a":1}', h['webhook-signature'] as string),
    ).toBe(true);
    expect(secretHint(secret)).toBe(`${secret.slice(0, 10)}…`);
  });
});

describe('retry schedule', () => {
  const policy = { initialMs: 1_000, maxMs: 60_000, retryForMs: 600_000 };

  it('doubles from initialMs up to maxMs, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => backoffMs(policy, n, () => 0.5))).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000, 60_000,
    ]);
    expect(backoffMs(policy, 1, () => 0)).toBe(800);
    expect(backoffMs(policy, 1, () => 1)).toBe(1_200);
  });

  it('stops when the next attempt would fall outside the retry window', () => {
    expect(nextAttemptAt(policy, 0, 1, 1_000, () => 0.5)).toBe(2_000);
    expect(nextAttemptAt(policy, 0, 10, 599_000, () => 0.5)).toBeNull();
  });
});
