import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACKNOWLEDGMENTS } from '../../../lib/compliance/acknowledgments';
import { applyComplianceGate } from '../../../lib/compliance/compliance-gate';
import { assertNoOpenFindings, openFindings } from '../../../lib/compliance/validation-report';
import { createTestApp } from '../../support/test-app';

describe('compliance gate', () => {
  test('reports an unacknowledged finding from every pack and from cfn-guard', () => {
    // GIVEN a bucket with none of the controls the packs ask for
    const app = createTestApp();
    new s3.Bucket(new Stack(app, 'Leaky'), 'Bucket');
    applyComplianceGate(app, []);
    // WHEN synthesized (cfn-guard reports "success" with open findings, so synth itself may pass)
    let directory = '';
    try {
      directory = app.synth().directory;
    } catch {
      directory = app.outdir;
    }
    // THEN the gate sees open findings from every plugin
    const plugins = new Set(openFindings(directory).map((f) => f.plugin));
    expect([...plugins].sort()).toEqual(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard']);
    expect(() => assertNoOpenFindings(directory)).toThrow(/Compliance gate: \d+ unacknowledged finding\(s\)/);
  });

  test('a registry entry acknowledges exactly the constructs it names, with its reason', () => {
    const app = createTestApp();
    const stack = new Stack(app, 'Scoped');
    new s3.Bucket(stack, 'Acked', { enforceSSL: true });
    new s3.Bucket(stack, 'NotAcked', { enforceSSL: true });
    applyComplianceGate(app, [{
      ids: ['AwsSolutions::AwsSolutions-S1'],
      scope: 'test bucket',
      appliesTo: (c) => c.node.path === 'Scoped/Acked',
      reason: 'test reason',
    }]);
    let directory = '';
    try {
      directory = app.synth().directory;
    } catch {
      directory = app.outdir;
    }
    const s1 = openFindings(directory).filter((f) => f.rule === 'AwsSolutions-S1');
    expect(s1.flatMap((f) => f.constructPaths)).toEqual(['Scoped/NotAcked/Resource']);
  });
});

describe('the acknowledgment registry', () => {
  test.each(ACKNOWLEDGMENTS.map((a) => [a.scope, a]))('%s has namespaced ids and a substantive reason', (_scope, ack) => {
    for (const id of ack.ids) expect(id).toMatch(/^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|cdk-validator-cfnguard|CloudFormation-Validate)::\S+$/);
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
});
