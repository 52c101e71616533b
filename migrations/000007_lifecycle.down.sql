DROP TABLE hrddp_assessments;
DROP TABLE handovers;
DROP TABLE execution_reports;
DROP TABLE taskings;
DROP TABLE consents;
