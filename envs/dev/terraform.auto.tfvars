# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "dev"
region               = "us-east-1"
promotion_source_env = null
vpc_cidr             = "10.0.0.0/16"
az_count             = 2
deletion_protection  = false
alert_emails         = []
state_bucket         = "infrarep-tfstate-us-east-1"
force_destroy        = true
