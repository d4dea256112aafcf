# Rendered by infrarep: `terraform init -backend-config=backend.hcl`. Do not edit.
# The same on every target: the local target adds local_backend.hcl (generated, not committed).
bucket       = "infrarep-tfstate-us-west-2"
key          = "staging/terraform.tfstate"
region       = "us-west-2"
encrypt      = true
use_lockfile = true
