/**
 * Layers, as Keras' `keras.layers`: the building blocks of models, with Keras' names, options and
 * defaults (unknown options are refused). Call one on a symbolic tensor (`layer.apply(x)`) to
 * build a model, or on a concrete tensor to compute now; subclass `Layer` for your own.
 * @module
 */
export { Activation } from './activations/activation.js';
export { ELU } from './activations/elu.js';
export { LeakyReLU } from './activations/leaky_relu.js';
export { PReLU, type PReLUArgs } from './activations/prelu.js';
export { ReLU, type ReLUArgs } from './activations/relu.js';
export { Softmax } from './activations/softmax.js';
export { BaseConv, type ConvArgs } from './convolutional/base_conv.js';
export { Conv1D } from './convolutional/conv1d.js';
export { Conv2D } from './convolutional/conv2d.js';
export { Conv2DTranspose, type Conv2DTransposeArgs } from './convolutional/conv2d_transpose.js';
// Convolution variants: depthwise, separable, 1-D transposed (and `groups` on Conv1D/Conv2D).
export { BaseConvTranspose, type ConvTransposeArgs } from './convolutional/base_conv_transpose.js';
export { BaseDepthwiseConv, type DepthwiseConvArgs } from './convolutional/base_depthwise_conv.js';
export { BaseSeparableConv, type SeparableConvArgs } from './convolutional/base_separable_conv.js';
export { Conv1DTranspose, type Conv1DTransposeArgs } from './convolutional/conv1d_transpose.js';
export { DepthwiseConv1D } from './convolutional/depthwise_conv1d.js';
export { DepthwiseConv2D } from './convolutional/depthwise_conv2d.js';
export { SeparableConv1D } from './convolutional/separable_conv1d.js';
export { SeparableConv2D } from './convolutional/separable_conv2d.js';
// The 3-D family (the same kernels and ops as 2-D, with a depth axis).
export { AveragePooling3D } from './pooling/average_pooling3d.js';
export { Conv3D } from './convolutional/conv3d.js';
export { Conv3DTranspose, type Conv3DTransposeArgs } from './convolutional/conv3d_transpose.js';
export { Cropping3D, type Cropping3DArgs } from './reshaping/cropping3d.js';
export { GlobalAveragePooling3D } from './pooling/global_average_pooling3d.js';
export { GlobalMaxPooling3D } from './pooling/global_max_pooling3d.js';
export { MaxPooling3D } from './pooling/max_pooling3d.js';
export { UpSampling3D, type UpSampling3DArgs } from './reshaping/up_sampling3d.js';
export { ZeroPadding3D, type ZeroPadding3DArgs } from './reshaping/zero_padding3d.js';
export { Dense, type DenseArgs } from './core/dense.js';
export { Embedding, type EmbeddingArgs } from './core/embedding.js';
// keras.layers.Input is keras.Input, as in Keras.
export { Input, InputLayer } from './core/input_layer.js';
export { Masking, type MaskingArgs } from './core/masking.js';
export { Layer, type AddWeightOptions, type CallOptions, type LayerArgs, type LayerConfig, type LayerInput, type LayerNode, type LayerOutput } from './layer.js';
export { Add } from './merging/add.js';
export { Average } from './merging/average.js';
export { BaseMerge } from './merging/base_merge.js';
export { Concatenate } from './merging/concatenate.js';
export { Dot, type DotArgs } from './merging/dot.js';
export { Maximum } from './merging/maximum.js';
export { Minimum } from './merging/minimum.js';
export { Multiply } from './merging/multiply.js';
export { Subtract } from './merging/subtract.js';
export { add, average, concatenate, dot, maximum, minimum, multiply, subtract } from './merging/merge_functions.js';
export { BatchNormalization, type BatchNormalizationArgs } from './normalization/batch_normalization.js';
export { LayerNormalization, type LayerNormalizationArgs } from './normalization/layer_normalization.js';
export { MultiHeadAttention, type MultiHeadAttentionArgs, type MultiHeadAttentionCallOptions } from './attention/multi_head_attention.js';
export { AveragePooling1D } from './pooling/average_pooling1d.js';
export { AveragePooling2D } from './pooling/average_pooling2d.js';
export { BaseGlobalPooling, type GlobalPoolingArgs } from './pooling/base_global_pooling.js';
export { BasePooling, type PoolingArgs } from './pooling/base_pooling.js';
export { GlobalAveragePooling1D } from './pooling/global_average_pooling1d.js';
export { GlobalAveragePooling2D } from './pooling/global_average_pooling2d.js';
export { GlobalMaxPooling1D } from './pooling/global_max_pooling1d.js';
export { GlobalMaxPooling2D } from './pooling/global_max_pooling2d.js';
export { MaxPooling1D } from './pooling/max_pooling1d.js';
export { MaxPooling2D } from './pooling/max_pooling2d.js';
export { Dropout, type DropoutArgs } from './regularization/dropout.js';
export { GaussianDropout } from './regularization/gaussian_dropout.js';
export { GaussianNoise } from './regularization/gaussian_noise.js';
export { BaseSpatialDropout, SpatialDropout1D, SpatialDropout2D, type SpatialDropoutArgs } from './regularization/spatial_dropout.js';
export { BaseRNN, type GatedRNNArgs, type RNNArgs } from './rnn/base_rnn.js';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './rnn/bidirectional.js';
export { GRU, type GRUArgs } from './rnn/gru.js';
export { LSTM, type LSTMArgs } from './rnn/lstm.js';
export { SimpleRNN } from './rnn/simple_rnn.js';
export { TimeDistributed } from './rnn/time_distributed.js';
export { Flatten } from './reshaping/flatten.js';
export { Reshape } from './reshaping/reshape.js';
export { BaseMargins, type Margins } from './reshaping/base_margins.js';
export { Cropping1D, type Cropping1DArgs } from './reshaping/cropping1d.js';
export { Cropping2D, type Cropping2DArgs } from './reshaping/cropping2d.js';
export { Permute } from './reshaping/permute.js';
export { RepeatVector } from './reshaping/repeat_vector.js';
export { UpSampling1D } from './reshaping/up_sampling1d.js';
export { UpSampling2D, type UpSampling2DArgs } from './reshaping/up_sampling2d.js';
export { ZeroPadding1D, type ZeroPadding1DArgs } from './reshaping/zero_padding1d.js';
export { ZeroPadding2D, type ZeroPadding2DArgs } from './reshaping/zero_padding2d.js';
// Preprocessing layers (keras-apps branch).
export { CenterCrop, type CenterCropArgs } from './preprocessing/center_crop.js';
export { type AdaptData, Normalization, type NormalizationArgs } from './preprocessing/normalization.js';
export { Rescaling, type RescalingArgs } from './preprocessing/rescaling.js';
export { Resizing, type ResizingArgs } from './preprocessing/resizing.js';
// Attention and normalisation (Luong, Bahdanau, grouped-query; group, unit, RMS) and the
// identity-shaped regularization layers.
export { ActivityRegularization, type ActivityRegularizationArgs } from './regularization/activity_regularization.js';
export { AdditiveAttention, type AdditiveAttentionArgs } from './attention/additive_attention.js';
export { AlphaDropout } from './regularization/alpha_dropout.js';
export { Attention, type AttentionArgs, type AttentionCallOptions } from './attention/attention.js';
export { GroupNormalization, type GroupNormalizationArgs } from './normalization/group_normalization.js';
export { GroupQueryAttention, type GroupQueryAttentionArgs, type GroupQueryAttentionCallOptions } from './attention/group_query_attention.js';
export { Identity } from './core/identity.js';
export { RMSNormalization, type RMSNormalizationArgs } from './normalization/rms_normalization.js';
export { SpatialDropout3D } from './regularization/spatial_dropout3d.js';
export { UnitNormalization, type UnitNormalizationArgs } from './normalization/unit_normalization.js';
// Data preprocessing layers that run in JavaScript on concrete data.
export { CategoryEncoding, type CategoryEncodingArgs } from './preprocessing/category_encoding.js';
export type { DataBatches, DataInput, DataOutputSpec, StringData } from './preprocessing/data_layer.js';
export { Discretization, type DiscretizationArgs } from './preprocessing/discretization.js';
export { Hashing, type HashingArgs } from './preprocessing/hashing.js';
export type { IndexLookupArgs, LookupOutputMode } from './preprocessing/index_lookup.js';
export { IntegerLookup, type IntegerLookupArgs } from './preprocessing/integer_lookup.js';
export { StringLookup, type StringLookupArgs } from './preprocessing/string_lookup.js';
export { type Split, type Standardize, TextVectorization, type TextVectorizationArgs } from './preprocessing/text_vectorization.js';
// Image augmentation, applied by the engine while fitting.
export { BaseImageAugmentation, type Factor, type ImageAugmentationArgs, type ResampleArgs } from './preprocessing/base_image_augmentation.js';
export { type FlipMode, RandomFlip, type RandomFlipArgs } from './preprocessing/random_flip.js';
export { RandomBrightness, type RandomBrightnessArgs } from './preprocessing/random_brightness.js';
export { RandomContrast, type RandomContrastArgs } from './preprocessing/random_contrast.js';
export { RandomCrop, type RandomCropArgs } from './preprocessing/random_crop.js';
export { RandomRotation, type RandomRotationArgs } from './preprocessing/random_rotation.js';
export { RandomTranslation, type RandomTranslationArgs } from './preprocessing/random_translation.js';
export { RandomZoom, type RandomZoomArgs } from './preprocessing/random_zoom.js';
