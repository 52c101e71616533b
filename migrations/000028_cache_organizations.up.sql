-- 000028_cache_organizations: the organisations list joins the in-process
-- cache (issue 17: the officer's request list read it on every page for
-- its filter). Organisations change rarely: any change forgets every
-- cached entry (cache_forget_all, migration 23), on every instance.
CREATE TRIGGER cache_forget AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION cache_forget_all();
