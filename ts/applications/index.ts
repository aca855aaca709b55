// kiln.applications: Keras' keras.applications builders (async: they may load weights), each
// family's preprocessInput/decodePredictions under its Keras module name, and the helper layers
// the applications' saved files use.
export { type ApplicationArgs } from './application_arguments.js';
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
export * as convnext from './convnext.js';
export * as densenet from './densenet.js';
export * as efficientnet from './efficientnet.js';
export * as efficientnetV2 from './efficientnet_v2.js';
export * as inceptionResnetV2 from './inception_resnet_v2.js';
export * as inceptionV3 from './inception_v3.js';
export * as imagenetUtils from './imagenet_utils.js';
export * as mobilenet from './mobilenet.js';
export * as mobilenetV2 from './mobilenet_v2.js';
export * as mobilenetV3 from './mobilenet_v3.js';
export * as nasnet from './nasnet.js';
export * as resnet from './resnet.js';
export * as resnet50 from './resnet.js';
export * as resnetV2 from './resnet_v2.js';
export * as vgg16 from './vgg.js';
export * as vgg19 from './vgg.js';
export * as xception from './xception.js';
export * from './helper_layers.js';
