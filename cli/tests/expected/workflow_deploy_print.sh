# Airflow connections and variables of stage dev (cws workflow deploy --print).
# The tokens are read from the environment, never written here:
[ -n "${CWS_TOKEN:-}" ] || { echo 'set CWS_TOKEN to the TOKEN of stage dev' >&2; exit 1; }
airflow connections delete cws_billing_dev >/dev/null 2>&1 || true
airflow connections add cws_billing_dev --conn-type http --conn-host https://billing.execute-api.eu-west-1.amazonaws.com/dev --conn-password "$CWS_TOKEN" --conn-description 'CoWorks service `billing`, stage `dev` (cws workflow deploy)'
airflow connections delete cws_catalog_dev >/dev/null 2>&1 || true
airflow connections add cws_catalog_dev --conn-type http --conn-host https://catalog.execute-api.eu-west-1.amazonaws.com/dev --conn-password "$CWS_TOKEN" --conn-description 'CoWorks service `catalog`, stage `dev` (cws workflow deploy)'
airflow connections delete cws_mailer_dev >/dev/null 2>&1 || true
airflow connections add cws_mailer_dev --conn-type http --conn-host https://mailer.execute-api.eu-west-1.amazonaws.com/dev --conn-password "$CWS_TOKEN" --conn-description 'CoWorks service `mailer`, stage `dev` (cws workflow deploy)'
airflow connections delete cws_aws_dev >/dev/null 2>&1 || true
airflow connections add cws_aws_dev --conn-type aws --conn-extra '{"endpoint_url":"http://127.0.0.1:5000","region_name":"eu-west-1"}' --conn-description 'CoWorks stage `dev`: reads the results of async calls from S3 (credentials: the workers'\'' own)'
airflow variables set cws_results_bucket_dev eshop-async-results --description 'CoWorks stage `dev`: the results bucket of async calls'
