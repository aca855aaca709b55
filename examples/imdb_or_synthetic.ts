// The IMDB reviews for the text examples: kiln.datasets.imdb (Keras' imdb.load_data, downloaded
// once into the cache), or with KILN_SYNTHETIC_DATA=1 generated reviews of the same form
// (word indices, sentiment 0/1; KILN_TRAIN_SAMPLES of them) for short offline runs.
import * as kiln from 'kiln-nn';

/** IMDB as keras.datasets.imdb.load_data(num_words=vocabSize), or generated reviews of the same form. */
export async function loadReviews(numWords: number): Promise<[[number[][], kiln.Tensor], [number[][], kiln.Tensor]]> {
  if (!process.env.KILN_SYNTHETIC_DATA) {
    const [[xt, yt], [xv, yv]] = await kiln.datasets.imdb.loadData({ numWords });
    return [[xt, yt], [xv, yv]];
  }
  // Reviews of 20 to 150 words: common words from the whole vocabulary, and a few sentiment
  // words, mostly from the positive (ids 100-149) or the negative (ids 150-199) list.
  const samples = Number(process.env.KILN_TRAIN_SAMPLES ?? 2000);
  let state = 12345;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const split = (n: number): [number[][], kiln.Tensor] => {
    const reviews: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const label = random() < 0.5 ? 0 : 1;
      const length = 20 + Math.floor(random() * 130);
      reviews.push(Array.from({ length }, () => {
        if (random() > 0.1) return 4 + Math.floor(random() * (numWords - 4));
        const list = random() < 0.8 ? label : 1 - label;
        return 100 + 50 * (1 - list) + Math.floor(random() * 50);
      }));
      labels.push(label);
    }
    return [reviews, kiln.tensor(Int32Array.from(labels))];
  };
  return [split(samples), split(Math.ceil(samples / 2))];
}
