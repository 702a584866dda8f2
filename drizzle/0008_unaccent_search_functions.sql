-- Accent-insensitive catalog search (unaccent is in contrib, trusted: a database owner may create it).
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
--> statement-breakpoint
-- unaccent(text) is only STABLE (it reads its dictionary by name); with the dictionary given by OID it depends on
-- nothing but its input, so this wrapper may be IMMUTABLE and be used in a generated column.
CREATE OR REPLACE FUNCTION immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);
--> statement-breakpoint
-- The search query of contract §5.1 from its tokens (word characters and '-' only): accents folded as in the
-- search vector, each token a prefix, all AND-ed. Folding can yield punctuation (½ → " 1/2", ʼ → "'"), which
-- would be tsquery syntax: it is removed. NULL (matches nothing) when no token is left.
CREATE OR REPLACE FUNCTION books_search_query(tokens text[]) RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN (
    SELECT to_tsquery('simple', string_agg(folded.token || ':*', ' & ' ORDER BY folded.n))
      FROM (SELECT regexp_replace(immutable_unaccent(t.token), '[\x01-\x2c\x2e\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f°]', '', 'g') AS token, t.n
              FROM unnest(tokens) WITH ORDINALITY AS t(token, n)) AS folded
     WHERE folded.token <> ''
  );
--> statement-breakpoint
-- The author filter's ILIKE pattern: a substring, accents folded, with %, _ and \ matching literally (§7.11).
-- Folded before escaping, so that a character folding to % or _ (％ → %) is literal too.
CREATE OR REPLACE FUNCTION books_author_pattern(author text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN '%' || replace(replace(replace(immutable_unaccent(author), '\', '\\'), '%', '\%'), '_', '\_') || '%';
