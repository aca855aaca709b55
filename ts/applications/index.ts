/**
 * Keras' `keras.applications`: builders of the classic image models (async, since they may load
 * weights), each family's `preprocessInput` and `decodePredictions` under its Keras module name,
 * and the helper layers the applications' saved files use.
 * @module
 */
// kiln.applications: Keras' keras.applications builders (async: they may load weights), each
// family's preprocessInput/decodePredictions under its Keras module name, and the helper layers
// the applications' saved files use.
export type { ApplicationArgs } from './application_arguments.js';
export { ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge, type ConvNeXtArgs } from './convnext.js';
export { DenseNet121, DenseNet169, DenseNet201 } from './densenet.js';
export { EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7 } from './efficientnet.js';
export { EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S, type EfficientNetV2Args } from './efficientnet_v2.js';
export { InceptionResNetV2 } from './inception_resnet_v2.js';
export { InceptionV3 } from './inception_v3.js';
export { MobileNet, type MobileNetArgs } from './mobilenet.js';
export { MobileNetV2, type MobileNetV2Args } from './mobilenet_v2.js';
export { MobileNetV3Large, MobileNetV3Small, type MobileNetV3Args } from './mobilenet_v3.js';
export { NASNetLarge, NASNetMobile } from './nasnet.js';
export { ResNet50, ResNet101, ResNet152 } from './resnet.js';
export { ResNet50V2, ResNet101V2, ResNet152V2 } from './resnet_v2.js';
export { VGG16, VGG19 } from './vgg.js';
export { Xception } from './xception.js';
/** keras.applications.convnext: `preprocessInput` (a pass-through: the models normalise inside), `decodePredictions`, the builders. */
export * as convnext from './convnext.js';
/** keras.applications.densenet: `preprocessInput` ('torch' mode), `decodePredictions`, the builders. */
export * as densenet from './densenet.js';
/** keras.applications.efficientnet: `preprocessInput` (a pass-through: the models rescale inside), `decodePredictions`, the builders. */
export * as efficientnet from './efficientnet.js';
/** keras.applications.efficientnet_v2: `preprocessInput` (a pass-through), `decodePredictions`, the builders. */
export * as efficientnetV2 from './efficientnet_v2.js';
/** keras.applications.inception_resnet_v2: `preprocessInput` ('tf' mode), `decodePredictions`, the builder. */
export * as inceptionResnetV2 from './inception_resnet_v2.js';
/** keras.applications.inception_v3: `preprocessInput` ('tf' mode), `decodePredictions`, the builder. */
export * as inceptionV3 from './inception_v3.js';
/** keras.applications.imagenet_utils: `preprocessInput` in any of the 'caffe', 'tf' and 'torch' modes, and `decodePredictions`. */
export * as imagenetUtils from './imagenet_utils.js';
/** keras.applications.mobilenet: `preprocessInput` ('tf' mode), `decodePredictions`, the builder. */
export * as mobilenet from './mobilenet.js';
/** keras.applications.mobilenet_v2: `preprocessInput` ('tf' mode), `decodePredictions`, the builder. */
export * as mobilenetV2 from './mobilenet_v2.js';
/** keras.applications.mobilenet_v3: `preprocessInput` (a pass-through: the models rescale inside), `decodePredictions`, the builders. */
export * as mobilenetV3 from './mobilenet_v3.js';
/** keras.applications.nasnet: `preprocessInput` ('tf' mode), `decodePredictions`, the builders. */
export * as nasnet from './nasnet.js';
/** keras.applications.resnet: `preprocessInput` ('caffe' mode), `decodePredictions`, the builders. */
export * as resnet from './resnet.js';
/** keras.applications.resnet50: the same as `resnet`. */
export * as resnet50 from './resnet.js';
/** keras.applications.resnet_v2: `preprocessInput` ('tf' mode), `decodePredictions`, the builders. */
export * as resnetV2 from './resnet_v2.js';
/** keras.applications.vgg16: `preprocessInput` ('caffe' mode), `decodePredictions`, the builders. */
export * as vgg16 from './vgg.js';
/** keras.applications.vgg19: the same as `vgg16`. */
export * as vgg19 from './vgg.js';
/** keras.applications.xception: `preprocessInput` ('tf' mode), `decodePredictions`, the builder. */
export * as xception from './xception.js';
export * from './helper_layers.js';
