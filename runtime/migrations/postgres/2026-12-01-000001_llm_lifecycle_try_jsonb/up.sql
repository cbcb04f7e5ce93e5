-- Parses text as jsonb, NULL where it is not JSON: a JSON reference stored in a
-- text column may hold anything, and one bad value must not fail every plan.
CREATE FUNCTION llm_lifecycle_try_jsonb(value text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
    RETURN CAST(value AS jsonb);
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$fn$;
