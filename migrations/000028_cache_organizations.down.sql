DROP TRIGGER cache_forget ON organizations;
