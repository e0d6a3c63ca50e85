/**
 * The sentiment view's prepared reviews (plain data, so the browser test can import them in
 * Node): negation and contrast, where counting positive and negative words goes wrong and
 * the trace shows the model changing its mind.
 */
export const SENTIMENT_EXAMPLES: {
  id: string;
  label: 'sentExNeg1' | 'sentExNeg2' | 'sentExCon1' | 'sentExCon2' | 'sentExCon3';
  text: string;
}[] = [
  {
    id: 'not-bad',
    label: 'sentExNeg1',
    text: 'I expected to hate this movie, but it is not bad at all. In fact it is one of the best films I have seen this year.',
  },
  {
    id: 'not-good',
    label: 'sentExNeg2',
    text: 'The cast is good and the trailer looked great, but the film itself is not good. Not funny, not exciting, not worth your time.',
  },
  {
    id: 'slow-start',
    label: 'sentExCon1',
    text: 'The first hour is slow and boring, but the final act is brilliant, moving and beautifully acted. A must see!',
  },
  {
    id: 'great-cast',
    label: 'sentExCon2',
    text: 'Great cast, beautiful photography and a famous director, yet the film is a dull, lifeless mess. What a waste.',
  },
  {
    id: 'bad-effects',
    label: 'sentExCon3',
    text: 'The effects are cheap and the dialogue is awful, but I loved every minute of it. A wonderful, funny little film.',
  },
];
