"""The training programme: modules, milestones, awards and readiness for accreditation."""
