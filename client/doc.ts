// One short name for the page's document: it is used often enough that the alias saves bytes in t.js.
export const doc = document;
