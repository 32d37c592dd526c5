import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIpAddress } from './address.ts';
import type { CidrBlock } from './address.ts';

const block = (text: string): CidrBlock => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.block;
};
const address = (text: string) => {
  const parsed = parseIpAddress(text);
  if (parsed === undefined) throw new Error(`not an address: ${text}`);
  return parsed;
};

describe('CIDR blocks', () => {
  it.each([
    ['an IPv4 block', '10.20.0.0/16', '10.20.0.0/16'],
    ['a single IPv4 address as /32', '192.0.2.7', '192.0.2.7/32'],
    ['everything IPv4', '0.0.0.0/0', '0.0.0.0/0'],
    ['an IPv6 block, canonicalised', '2001:DB8:0:0::/32', '2001:db8::/32'],
    ['a single IPv6 address as /128', '::1', '::1/128'],
    ['IPv6 with an embedded IPv4 tail', '64:ff9b::192.0.2.0/120', '64:ff9b::c000:200/120'],
  ])('accepts %s', (_name, text, canonical) => {
    expect(block(text).text).toBe(canonical);
  });

  it.each([
    ['host bits below the prefix, with the likely meaning', '10.20.1.0/16', /host bits.*did you mean 10\.20\.0\.0\/16/],
    ['a prefix beyond 32 for IPv4', '10.0.0.0/33', /prefix length \(0–32\)/],
    ['a prefix with a leading zero', '10.0.0.0/08', /prefix length/],
    ['an octet with a leading zero (octal on some systems)', '010.0.0.0/8', /not an IPv4 or IPv6/],
    ['an octet above 255', '256.0.0.0/8', /not an IPv4 or IPv6/],
    ['a hostname', 'example.com/24', /not an IPv4 or IPv6/],
    ['MQ-style wildcards, which qshield does not take', '192.0.2.*', /not an IPv4 or IPv6/],
    ['an IPv6 zone', 'fe80::1%eth0/128', /zone/],
    ['an IPv4-mapped IPv6 block', '::ffff:10.0.0.0/104', /write it as IPv4/],
    ['two ::', '1::2::3/64', /not an IPv4 or IPv6/],
    ['an empty string', '', /non-empty/],
  ])('refuses %s', (_name, text, message) => {
    const parsed = parseCidr(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(message);
  });

  it.each([
    ['an IPv4 address inside its block', '10.20.0.0/16', '10.20.255.1', true],
    ['an IPv4 address just outside', '10.20.0.0/16', '10.21.0.0', false],
    ['an IPv4-mapped IPv6 peer against an IPv4 rule', '10.20.0.0/16', '::ffff:10.20.3.4', true],
    ['an IPv6 address in its block', '2001:db8::/32', '2001:db8:1::5', true],
    ['an IPv6 address with a zone', 'fe80::/10', 'fe80::1%eth0', true],
    ['an IPv6 address against an IPv4 block', '0.0.0.0/0', '2001:db8::1', false],
    ['an IPv4 address against an IPv6 block', '::/0', '10.0.0.1', false],
    ['a /0 block', '0.0.0.0/0', '203.0.113.9', true],
    ['an odd prefix length', '10.20.128.0/17', '10.20.127.255', false],
  ])('containment: %s', (_name, cidr, ip, expected) => {
    expect(cidrContains(block(cidr), address(ip))).toBe(expected);
  });
});

const v4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const v6Arb = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));

describe('address properties (node:net as the oracle)', () => {
  it('parses exactly the strings node:net calls IP addresses', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''));
    fc.assert(fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 40 }), v4Arb, v6Arb), (text) => {
      expect(parseIpAddress(text) !== undefined).toBe(isIP(text) !== 0);
    }), { numRuns: 5000 });
  });

  it('agrees with BlockList on IPv4 containment', () => {
    fc.assert(fc.property(v4Arb, fc.nat(32), v4Arb, (net, prefix, ip) => {
      const words = address(net).words[0] as number;
      const masked = prefix === 0 ? 0 : (words & (~0 << (32 - prefix))) >>> 0;
      const text = [masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.');
      const list = new BlockList();
      list.addSubnet(text, prefix, 'ipv4');
      expect(cidrContains(block(`${text}/${prefix}`), address(ip))).toBe(list.check(ip, 'ipv4'));
    }), { numRuns: 3000 });
  });

  it('agrees with BlockList on IPv6 containment, and canonical text parses back to the same block', () => {
    fc.assert(fc.property(v6Arb, fc.nat(128), fc.boolean(), v6Arb, (net, prefix, near, other) => {
      // Mask the network with our parser's own refusal message, then test a near and a far address.
      const parsed = parseCidr(`${net}/${prefix}`);
      const b = parsed.ok ? parsed.block : block((/did you mean (\S+)\?/.exec(parsed.problem)?.[1]) as string);
      fc.pre(!(b.words[0] === 0 && b.words[1] === 0 && b.words[2] === 0xffff));
      expect(block(b.text)).toEqual(b);
      const ip = near ? net : other;
      const parsedIp = parseIpAddress(ip);
      fc.pre(parsedIp !== undefined && parsedIp.family === 6);
      const list = new BlockList();
      list.addSubnet(b.text.split('/')[0] as string, b.prefix, 'ipv6');
      expect(cidrContains(b, parsedIp as NonNullable<typeof parsedIp>)).toBe(list.check(ip, 'ipv6'));
    }), { numRuns: 3000 });
  });

  it('answers every CIDR text with a block or a problem, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.anything()), (value) => {
      const parsed = parseCidr(value);
      expect(typeof parsed.ok).toBe('boolean');
    }));
  });
});
