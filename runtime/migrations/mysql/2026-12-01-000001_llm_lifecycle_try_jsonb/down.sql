-- Nothing to undo on MySQL.
DO 0;
