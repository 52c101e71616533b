DROP TABLE form_stashes;
DROP TABLE browser_markers;
