/**
 * The synth benchmark's "gate off" app: bin/platform.ts without the compliance gate (and so
 * without its check for open findings). The benchmark bundles it with bin/build-app.mjs and
 * runs it with CDK_VALIDATION=false, so that neither the gate nor aws-cdk-lib's built-in
 * CloudFormation validation runs. Not an app to deploy.
 */
import '../../bin/compile-cache';
import { App } from 'aws-cdk-lib';
import { buildPlatformApp } from '../../lib/platform-app';

const app = new App();
buildPlatformApp(app, { complianceGate: false });
app.synth();
