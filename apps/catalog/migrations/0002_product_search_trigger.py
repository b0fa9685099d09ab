"""Full-text search on PostgreSQL: a trigger keeps Product.search_vector (title weight A,
description B, specification names and values C, 'english' configuration) and a GIN index
serves the @@ match. Nothing happens on other databases: the local demo runs on SQLite, where
search falls back to icontains (apps/catalog/selectors.py)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION catalog_product_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('pg_catalog.english', coalesce(NEW.description, '')), 'B')
        || setweight(to_tsvector('pg_catalog.english', coalesce((
            SELECT string_agg(coalesce(spec->>'name', '') || ' ' || coalesce(spec->>'value', ''), ' ')
            FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(NEW.specifications) = 'array'
                     THEN NEW.specifications ELSE '[]'::jsonb END
            ) AS spec
            WHERE jsonb_typeof(spec) = 'object'
        ), '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_product_search_vector
    BEFORE INSERT OR UPDATE OF title, description, specifications, search_vector
    ON catalog_product
    FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector_update();

CREATE INDEX catalog_product_search_gin ON catalog_product USING gin (search_vector);

UPDATE catalog_product SET title = title;
"""

DROP = """
DROP INDEX IF EXISTS catalog_product_search_gin;
DROP TRIGGER IF EXISTS catalog_product_search_vector ON catalog_product;
DROP FUNCTION IF EXISTS catalog_product_search_vector_update();
"""


def create_search_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_search_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_search_trigger, drop_search_trigger)]
