// The body keras.applications.resnet's ResNet() gives ResNet and ResNetV2: a 7x7 stem, the
// residual stacks, the pooling or classifier top, the published weights.
import { Activation } from '../layers/activations/activation.js';
import { Conv2D } from '../layers/convolutional/conv2d.js';
import { GlobalAveragePooling2D } from '../layers/pooling/global_average_pooling2d.js';
import { MaxPooling2D } from '../layers/pooling/max_pooling2d.js';
import { ZeroPadding2D } from '../layers/reshaping/zero_padding2d.js';
import type { Model } from '../models/model.js';
import type { SymbolicTensor } from '../symbolic.js';
import { type ApplicationArgs, finishApplication, imageInput, obtainInputShape, poolingTop, predictionsLayer, resolveApplicationArgs } from './application_arguments.js';
import { batchNorm } from './family_helpers.js';
import { call } from './layer_builders.js';
import { KERAS_APPLICATIONS_URL } from './pretrained_weights.js';

/** Keras' checksums of its files: [with the top, without]. */
const IMAGENET_HASHES: Record<string, [string, string]> = {
  resnet50: ['2cb95161c43110f7111970584f804107', '4d473c1dd8becc155b73f8504c6f6626'],
  resnet101: ['f1aeb4b969a6efcfb50fad2f0c20cfc5', '88cf7a10940856eca736dc7b7e228a21'],
  resnet152: ['100835be76be38e30d865e96f2aaae62', 'ee4c566cf9a93f14d82f913c2dc6dd0c'],
  resnet50v2: ['3ef43a0b657b3be2300d5770ece849e0', 'fac2f116257151a9d068a22e544a4917'],
  resnet101v2: ['6343647c601c52e1368623803854d971', 'c0ed64b8031c3730f411d2eb4eea35b5'],
  resnet152v2: ['a49b44d1979771252814e80f8ec446f9', 'ed17cf2e0169df9d443503ef94b23b33'],
};

/** Keras' `ResNet`: the stem, `stack` (the residual stacks), the top; `preact` is V2's layout. */
export async function ResNet(builder: string, family: string, stack: (x: SymbolicTensor) => SymbolicTensor, preact: boolean, options: ApplicationArgs | undefined): Promise<Model> {
  const args = resolveApplicationArgs(builder, options);
  const input = imageInput(obtainInputShape(builder, args, 224, 32));
  let x = call(
    new ZeroPadding2D({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'conv1_pad',
    }),
    input,
  );
  x = call(new Conv2D({ filters: 64, kernelSize: 7, strides: 2, useBias: true, name: 'conv1_conv' }), x);
  if (!preact) {
    x = call(batchNorm('conv1_bn'), x);
    x = call(new Activation('relu', { name: 'conv1_relu' }), x);
  }
  x = call(
    new ZeroPadding2D({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'pool1_pad',
    }),
    x,
  );
  x = call(new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  x = stack(x);
  if (preact) {
    x = call(batchNorm('post_bn'), x);
    x = call(new Activation('relu', { name: 'post_relu' }), x);
  }
  if (args.includeTop) {
    x = call(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    x = predictionsLayer(x, args);
  } else {
    x = poolingTop(x, args.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return finishApplication(builder, input, x, args.name ?? family, args, () => {
    const name = `${family}_weights_tf_dim_ordering_tf_kernels${args.includeTop ? '' : '_notop'}.h5`;
    return { name, url: `${KERAS_APPLICATIONS_URL}resnet/${name}`, hash: IMAGENET_HASHES[family][args.includeTop ? 0 : 1] };
  });
}
