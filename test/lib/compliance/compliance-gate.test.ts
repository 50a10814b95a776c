import { Stack } from 'aws-cdk-lib';
import { LIBRARY_ACKNOWLEDGMENTS } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../../../lib/compliance/acknowledgments';
import { createTestApp } from '../../support/test-app';

/**
 * The app's own registry (the gate itself, and the library's acknowledgments, are tested with
 * the library in test/constructs/compliance). Each entry being used is asserted on the full
 * app in test/lib/platform-app.test.ts.
 */
describe('the app acknowledgment registry', () => {
  test.each(ACKNOWLEDGMENTS.map((a) => [a.scope, a]))('%s has namespaced ids and a substantive reason', (_scope, ack) => {
    // ids computed from the selected policy are checked where they are computed, on the full app
    // (test/constructs/compliance/acknowledgments.test.ts)
    if (typeof ack.ids !== 'function') for (const id of ack.ids) expect(id).toMatch(/^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|cdk-validator-cfnguard|CloudFormation-Validate)::\S+$/);
    expect(ack.reason.length).toBeGreaterThan(80);
    expect(ack.scope.length).toBeGreaterThan(10);
  });

  test('never acknowledges at stack or app level', () => {
    const app = createTestApp();
    const stack = new Stack(app, 'Network');
    for (const ack of ACKNOWLEDGMENTS) {
      expect(ack.appliesTo(app)).toBe(false);
      expect(ack.appliesTo(stack)).toBe(false);
    }
  });

  test('holds only the app\'s own entries: none repeats a library acknowledgment', () => {
    const libraryReasons = new Set(LIBRARY_ACKNOWLEDGMENTS.map((a) => a.reason));
    expect(ACKNOWLEDGMENTS.filter((a) => libraryReasons.has(a.reason))).toEqual([]);
    expect(ACKNOWLEDGMENTS.map((a) => a.scope).join('\n')).not.toMatch(/PlatformCluster|ZeroTrustVpc|PostgresDatabase|RedisCache|DatabaseBootstrap|Load Balancer Controller|kubectl/);
  });
});
