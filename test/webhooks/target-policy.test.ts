/** The webhook target policy (pure): what the allow-list lets through, by host name and by address. */
import { describe, expect, it } from 'vitest';
import { isTargetEntry, TargetPolicy } from '../../src/bridge/webhooks/target-policy.js';

const url = (u: string) => new URL(u);

describe('TargetPolicy', () => {
  it('by default allows public addresses only', () => {
    const p = new TargetPolicy([]);
    expect(p.checkUrl(url('https://crm.example.com/h'))).toBeNull();
    expect(p.checkAddress('93.184.216.34', false)).toBeNull();
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.5',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ])
      expect(p.checkAddress(a, false), a).not.toBeNull();
    expect(p.checkUrl(url('http://127.0.0.1:8080/'))).not.toBeNull();
    expect(p.checkUrl(url('http://[::1]/'))).not.toBeNull();
    expect(p.checkUrl(url('http://[::ffff:127.0.0.1]/'))).not.toBeNull(); // written [::ffff:7f00:1]
    expect(p.checkUrl(url('http://[::ffff:93.184.216.34]/'))).toBeNull();
  });

  it('with hosts listed, allows only those hosts, and never a special address they resolve to', () => {
    const p = new TargetPolicy(['crm.example.com', '*.hooks.example.org']);
    expect(p.checkUrl(url('https://crm.example.com/h'))).toBeNull();
    expect(p.checkUrl(url('https://CRM.example.com./h'))).toBeNull();
    expect(p.checkUrl(url('https://a.hooks.example.org/h'))).toBeNull();
    expect(p.checkUrl(url('https://hooks.example.org/h'))).not.toBeNull(); // *. = sub-domains only
    expect(p.checkUrl(url('https://evil.example.com/h'))).not.toBeNull();
    expect(p.checkUrl(url('https://crm.example.com.evil.net/h'))).not.toBeNull();
    expect(p.checkAddress('93.184.216.34', true)).toBeNull();
    expect(p.checkAddress('93.184.216.34', false)).not.toBeNull();
    expect(p.checkAddress('127.0.0.1', true)).not.toBeNull(); // DNS rebinding of a listed name
  });

  it('with networks listed, allows addresses inside them, special ones included', () => {
    const p = new TargetPolicy(['127.0.0.1', '10.20.0.0/16', 'fd00:1::/32']);
    expect(p.checkAddress('127.0.0.1', false)).toBeNull();
    expect(p.checkAddress('127.0.0.2', false)).not.toBeNull();
    expect(p.checkAddress('10.20.255.1', false)).toBeNull();
    expect(p.checkAddress('::ffff:10.20.0.1', false)).toBeNull();
    expect(p.checkAddress('10.21.0.1', false)).not.toBeNull();
    expect(p.checkAddress('fd00:1::5', false)).toBeNull();
    expect(p.checkAddress('93.184.216.34', false)).not.toBeNull();
    expect(p.checkUrl(url('http://127.0.0.1:9/'))).toBeNull();
    expect(p.checkUrl(url('http://any.example.com/'))).toBeNull(); // decided by its addresses
  });

  it('refuses other schemes and credentials in the URL', () => {
    const p = new TargetPolicy([]);
    expect(p.checkUrl(url('ftp://crm.example.com/'))).not.toBeNull();
    expect(p.checkUrl(url('https://u:p@crm.example.com/'))).not.toBeNull();
  });

  it('validates allow-list entries', () => {
    for (const ok of [
      'crm.example.com',
      '*.example.com',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      '127.0.0.1',
      'localhost',
    ])
      expect(isTargetEntry(ok), ok).toBe(true);
    for (const bad of ['10.0.0.0/33', 'http://x', '*', 'a b', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x'])
      expect(isTargetEntry(bad), bad).toBe(false);
  });
});
