DROP TABLE employee_hours;
