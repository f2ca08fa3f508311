"""What a schedule costs beyond its makespan: time estimates and energy."""
