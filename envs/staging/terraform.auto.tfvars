# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "staging"
region               = "us-west-2"
promotion_source_env = "dev"
vpc_cidr             = "10.1.0.0/16"
az_count             = 2
deletion_protection  = true
alert_emails         = []
state_bucket         = "infrarep-tfstate-us-west-2"
force_destroy        = true
