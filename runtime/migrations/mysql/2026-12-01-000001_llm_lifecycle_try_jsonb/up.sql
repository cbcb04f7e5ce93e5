-- Nothing on MySQL: JSON_VALID() guards every JSON read. This version keeps every backend's schema versions alike.
DO 0;
