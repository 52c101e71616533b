DROP TABLE IF EXISTS app_settings;
