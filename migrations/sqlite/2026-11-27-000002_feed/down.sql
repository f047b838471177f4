DROP TABLE dead_letters;
DROP TABLE feed_tokens;
