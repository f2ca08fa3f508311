"""What a schedule costs beyond its makespan: its energy."""
