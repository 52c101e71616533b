DROP TABLE directory_events;
