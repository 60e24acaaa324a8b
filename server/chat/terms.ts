// The words of a question as the knowledge base's index and the ratings' feedback both count them.

// Words that carry no meaning for matching a question: without them "what is the price" would
// rank every entry containing "the" and "is".
const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could do does did for from had has have how i if in into is it its me my of on or our please ' +
    'so that the their them then there these they this to us was we were what when where which who why will with would you your ' +
    'hi hello hey thanks thank ok okay yes no'
  ).split(' '),
);

export const processTerm = (term: string) => {
  const t = term.toLowerCase();
  return t.length < 2 || STOPWORDS.has(t) ? null : t;
};
