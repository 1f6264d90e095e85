# bash completion for certdesk: commands, their options, user names, settings.
# Installed as share/bash-completion/completions/certdesk.

_certdesk_users()
{
	local home=() i
	# The --home given on the line, else certdesk's own default ($CERTDESK_HOME, ~).
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		--home) home=(--home "${COMP_WORDS[i + 1]}") ;;
		--home=*) home=(--home "${COMP_WORDS[i]#--home=}") ;;
		esac
	done
	certdesk "${home[@]}" --read-only --format tsv list --all 2>/dev/null |
		tail -n +2 | cut -f1
}

_certdesk()
{
	local cur prev cmd i
	local commands="init create renew revoke notify task applied seen publish crl list
		show expirecheck config log import"
	local globals="--home --as-of --format --read-only --no-color --expirecheck --help
		--version"
	local fields="--name --email --phone --location --org --ou --country --days --key
		--p12 --out"
	local settings="window.days cert.days cert.key p12.profile out.dir default.org
		default.ou default.location default.country phab.url phab.form phab.projects
		phab.subscribers crl.days crl.refresh_days crl.remote crl.branch crl.path"

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	--home | --out | --passphrase-file | --config)
		COMPREPLY=($(compgen -d -- "$cur"))
		[[ $prev == --passphrase-file || $prev == --config ]] &&
			COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format) COMPREPLY=($(compgen -W "text tsv json" -- "$cur")); return ;;
	--key) COMPREPLY=($(compgen -W "ec rsa" -- "$cur")); return ;;
	--p12) COMPREPLY=($(compgen -W "compat modern" -- "$cur")); return ;;
	--reason)
		COMPREPLY=($(compgen -W "unspecified keyCompromise affiliationChanged superseded
			cessationOfOperation" -- "$cur"))
		return ;;
	--as-of | --cn | --days | --name | --email | --phone | --location | --org | --ou | \
	--country | --task | --crl-remote)
		return ;;
	esac

	# The command: the first word that is neither an option nor an option's value.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home | --as-of | --format) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		local opts=
		case $cmd in
		init) opts="--cn --key --days --passphrase-file --crl-remote" ;;
		create | renew) opts=$fields ;;
		revoke) opts="--reason --now" ;;
		notify) opts="--task --due" ;;
		publish) opts="--dry-run" ;;
		crl) opts="--out" ;;
		list) opts="--all" ;;
		expirecheck) opts="--days" ;;
		import) opts="--config --apply" ;;
		esac
		COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
		return
	fi

	case $cmd in
	renew | revoke | notify | task | applied | show | log)
		[[ $prev == "$cmd" ]] &&
			COMPREPLY=($(compgen -W "$(_certdesk_users)" -- "$cur")) ;;
	config)
		[[ $prev == config ]] && COMPREPLY=($(compgen -W "$settings" -- "$cur")) ;;
	import)
		if [[ $prev == import ]]; then
			COMPREPLY=($(compgen -W "openssl-ca easyrsa" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi ;;
	seen) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _certdesk certdesk
