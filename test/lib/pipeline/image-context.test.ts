import { App } from 'aws-cdk-lib';
import { imageReference, serviceImageFromContext } from '../../../lib/pipeline';

const IMAGE = {
  repository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/pipeline-sampleimages-abc',
  tag: '0123456789abcdef0123456789abcdef01234567',
  digest: `sha256:${'a'.repeat(64)}`,
};

describe('the image hand-off (images context)', () => {
  test('absent: undefined (local synth uses the config tag)', () => {
    expect(serviceImageFromContext(new App().node, 'sample')).toBeUndefined();
  });

  test('reads the image step manifest, as JSON string (-c images=...) or object', () => {
    for (const images of [JSON.stringify({ sample: IMAGE }), { sample: IMAGE }]) {
      const image = serviceImageFromContext(new App({ context: { images } }).node, 'sample')!;
      expect(image).toEqual(IMAGE);
      expect(imageReference(image)).toBe(`${IMAGE.repository}@${IMAGE.digest}`);
    }
  });

  test.each([
    ['digest', { ...IMAGE, digest: 'latest' }, 'digest "latest" is not sha256:<64 hex>'],
    ['repository', { ...IMAGE, repository: 'docker.io/library/node' }, 'repository "docker.io/library/node" is not an ECR repository URI'],
  ])('rejects a bad %s', (_field, image, message) => {
    expect(() => serviceImageFromContext(new App({ context: { images: { sample: image } } }).node, 'sample')).toThrow(
      `context "images" -> "sample": ${message}. Fix: pass the images.json written by the pipeline's image step unchanged.`,
    );
  });
});
