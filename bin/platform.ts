#!/usr/bin/env node
/**
 * The CDK app: `cdk synth` (dev), `cdk synth -c env=prod`, `cdk deploy -c env=staging ...`.
 * Reads configuration once, builds one PlatformStage per selected environment and runs the
 * compliance gate (cdk-nag packs + cfn-guard) on every synth.
 */
import './compile-cache';
import { App } from 'aws-cdk-lib';
import { assertNoOpenFindings } from '@zero-trust/platform-constructs';
import { buildPlatformApp } from '../lib/platform-app';

const app = new App();
buildPlatformApp(app);
const assembly = app.synth();
// CDK only fails on plugin reports concluded "failure"; the gate fails on any open finding.
assertNoOpenFindings(assembly.directory);
