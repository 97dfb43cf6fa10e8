<?php
/**
 * Settings → Headcount, built on the Settings API (nonces and capability checks come with options.php).
 *
 * @package Headcount
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page, its fields and the validation of what is submitted.
 */
final class Headcount_Settings_Page {

	public const SLUG = 'headcount';
	private const CAPABILITY = 'manage_options';

	public static function register(): void {
		add_action( 'admin_menu', array( self::class, 'add_page' ) );
		add_action( 'admin_init', array( self::class, 'register_settings' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( HEADCOUNT_FILE ), array( self::class, 'action_links' ) );
	}

	public static function add_page(): void {
		add_options_page( __( 'Headcount settings', 'headcount' ), 'Headcount', self::CAPABILITY, self::SLUG, array( self::class, 'render' ) );
	}

	/**
	 * A "Settings" link in the plugins list.
	 *
	 * @param string[] $links Existing links.
	 * @return string[]
	 */
	public static function action_links( array $links ): array {
		array_unshift( $links, sprintf( '<a href="%s">%s</a>', esc_url( admin_url( 'options-general.php?page=' . self::SLUG ) ), esc_html__( 'Settings', 'headcount' ) ) );
		return $links;
	}

	public static function register_settings(): void {
		register_setting(
			self::SLUG,
			Headcount_Options::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( self::class, 'sanitize' ),
				'default'           => Headcount_Options::defaults(),
				'show_in_rest'      => false,
			)
		);

		add_settings_section( 'headcount_tracking', __( 'Tracking', 'headcount' ), '__return_false', self::SLUG );
		self::field( 'address', __( 'Headcount address', 'headcount' ), 'headcount_tracking', array( self::class, 'address_field' ) );
		self::field( 'site', __( 'Site id', 'headcount' ), 'headcount_tracking', array( self::class, 'site_field' ) );
		self::field( 'show', __( 'Widget figures', 'headcount' ), 'headcount_tracking', array( self::class, 'show_field' ) );

		add_settings_section( 'headcount_members', __( 'Members', 'headcount' ), array( self::class, 'members_intro' ), self::SLUG );
		self::field( 'members', __( 'Logged-in users', 'headcount' ), 'headcount_members', array( self::class, 'members_field' ) );
		self::field( 'member_secret', __( 'Member secret', 'headcount' ), 'headcount_members', array( self::class, 'member_secret_field' ) );

		add_settings_section( 'headcount_live', __( 'Reading now (wp-admin)', 'headcount' ), array( self::class, 'live_intro' ), self::SLUG );
		self::field( 'read_token', __( 'Read token', 'headcount' ), 'headcount_live', array( self::class, 'read_token_field' ) );
	}

	/**
	 * Adds one field whose label points at its input.
	 *
	 * @param string   $key      Setting key.
	 * @param string   $title    Label.
	 * @param string   $section  Section id.
	 * @param callable $callback Prints the input.
	 */
	private static function field( string $key, string $title, string $section, callable $callback ): void {
		add_settings_field( 'headcount_' . $key, $title, $callback, self::SLUG, $section, array( 'label_for' => 'headcount_' . $key ) );
	}

	/**
	 * Validates a submitted form. Secrets left empty keep their stored value, so they never have to be shown.
	 *
	 * @param mixed $input The submitted `headcount_settings` array.
	 * @return array The settings to store.
	 */
	public static function sanitize( $input ): array {
		$old   = Headcount_Options::all();
		// options.php has already unslashed the submitted value.
		$input = is_array( $input ) ? $input : array();
		$new   = $old;

		$address = trim( (string) ( $input['address'] ?? '' ) );
		if ( '' === $address ) {
			$new['address'] = '';
		} elseif ( preg_match( '#^https?://[^/?\#\s]+(/[^?\#\s]*)?$#i', $address ) ) {
			$new['address'] = untrailingslashit( esc_url_raw( $address, array( 'http', 'https' ) ) );
		} else {
			self::error( 'address', __( 'The Headcount address must be an http:// or https:// address without a query, e.g. https://stats.example.vn. It was not changed.', 'headcount' ) );
		}

		$site = trim( (string) ( $input['site'] ?? '' ) );
		if ( '' === $site || preg_match( Headcount_Options::SITE_ID_PATTERN, $site ) ) {
			$new['site'] = $site;
		} else {
			self::error( 'site', __( 'The site id must be 1-64 lower-case letters, digits, _ or -, as in the sites file. It was not changed.', 'headcount' ) );
		}

		$new['members'] = ! empty( $input['members'] );
		$new['show']    = array_values( array_intersect( Headcount_Options::FIGURES, array_map( 'strval', (array) ( $input['show'] ?? array() ) ) ) );

		$new['member_secret'] = self::secret( $input, 'member_secret', $old['member_secret'], __( 'The member secret must be at least 32 characters. It was not changed.', 'headcount' ) );
		$new['read_token']    = self::secret( $input, 'read_token', $old['read_token'], __( 'The read token must be at least 32 characters. It was not changed.', 'headcount' ) );

		Headcount_Live::forget();
		return $new;
	}

	/**
	 * A secret from the form: kept when left empty, removed when asked, replaced when long enough.
	 *
	 * @param array  $input   The submitted settings.
	 * @param string $key     The secret's key.
	 * @param string $old     The stored value.
	 * @param string $too_short Error shown for a short value.
	 */
	private static function secret( array $input, string $key, string $old, string $too_short ): string {
		if ( ! empty( $input[ $key . '_remove' ] ) ) {
			return '';
		}
		$value = trim( (string) ( $input[ $key ] ?? '' ) );
		if ( '' === $value ) {
			return $old;
		}
		if ( strlen( $value ) < Headcount_Options::MIN_SECRET_LENGTH ) {
			self::error( $key, $too_short );
			return $old;
		}
		return $value;
	}

	/**
	 * Reports a refused value on the next page.
	 *
	 * @param string $key     Setting key.
	 * @param string $message What is wrong.
	 */
	private static function error( string $key, string $message ): void {
		add_settings_error( Headcount_Options::OPTION, 'headcount_' . $key, $message );
	}

	public static function render(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		echo '<form action="options.php" method="post">';
		settings_fields( self::SLUG );
		do_settings_sections( self::SLUG );
		submit_button();
		echo '</form></div>';
	}

	/**
	 * The name of a setting's input.
	 *
	 * @param string $key Setting key.
	 */
	private static function name( string $key ): string {
		return Headcount_Options::OPTION . '[' . $key . ']';
	}

	public static function address_field(): void {
		printf(
			'<input type="url" class="regular-text code" id="headcount_address" name="%s" value="%s" placeholder="https://stats.example.vn"><p class="description">%s</p>',
			esc_attr( self::name( 'address' ) ),
			esc_attr( Headcount_Options::all()['address'] ),
			esc_html__( 'Where your Headcount server answers; t.js is loaded from here.', 'headcount' )
		);
	}

	public static function site_field(): void {
		printf(
			'<input type="text" class="regular-text code" id="headcount_site" name="%s" value="%s" pattern="[a-z0-9][a-z0-9_\-]{0,63}"><p class="description">%s</p>',
			esc_attr( self::name( 'site' ) ),
			esc_attr( Headcount_Options::all()['site'] ),
			esc_html__( 'The site id from the operator’s sites file. This site’s address must be one of its origins.', 'headcount' )
		);
	}

	public static function show_field(): void {
		$labels = array(
			'today'     => __( 'Visits today', 'headcount' ),
			'yesterday' => __( 'Visits yesterday', 'headcount' ),
			'month'     => __( 'Visits this month', 'headcount' ),
		);
		$show   = Headcount_Options::all()['show'];
		echo '<fieldset id="headcount_show"><p class="description">' . esc_html__( 'Online guests, members and total, and the lifetime visits, are always shown.', 'headcount' ) . '</p>';
		foreach ( $labels as $figure => $label ) {
			printf(
				'<label><input type="checkbox" name="%s[]" value="%s"%s> %s</label><br>',
				esc_attr( self::name( 'show' ) ),
				esc_attr( $figure ),
				checked( in_array( $figure, $show, true ), true, false ),
				esc_html( $label )
			);
		}
		echo '</fieldset>';
	}

	public static function members_intro(): void {
		echo '<p>' . esc_html__( 'Logged-in users count as members when each of their pages carries a short-lived member token signed with the site’s member secret. Pages with a token are sent as not cacheable.', 'headcount' ) . '</p>';
	}

	public static function members_field(): void {
		printf(
			'<label><input type="checkbox" id="headcount_members" name="%s" value="1"%s> %s</label>',
			esc_attr( self::name( 'members' ) ),
			checked( Headcount_Options::all()['members'], true, false ),
			esc_html__( 'Count logged-in users as members', 'headcount' )
		);
	}

	public static function member_secret_field(): void {
		self::secret_field( 'member_secret', Headcount_Options::all()['member_secret'], __( 'The site’s memberSecret from the sites file (32 characters or more).', 'headcount' ) );
	}

	public static function live_intro(): void {
		echo '<p>' . esc_html__( 'The Posts list and the dashboard show who is reading now, read from Headcount’s live API with the site’s read token.', 'headcount' ) . '</p>';
	}

	public static function read_token_field(): void {
		self::secret_field( 'read_token', Headcount_Options::all()['read_token'], __( 'The site’s readToken from the sites file (32 characters or more). Not needed when the site’s live data is public.', 'headcount' ) );
	}

	/**
	 * A password input that never contains the stored secret, with whether it is set.
	 *
	 * @param string $key         Setting key.
	 * @param string $stored      The stored secret.
	 * @param string $description What it is.
	 */
	private static function secret_field( string $key, string $stored, string $description ): void {
		printf(
			'<input type="password" class="regular-text code" id="headcount_%1$s" name="%2$s" value="" autocomplete="new-password" spellcheck="false">',
			esc_attr( $key ),
			esc_attr( self::name( $key ) )
		);
		if ( '' === $stored ) {
			printf( '<p class="description headcount-secret-state">%s</p>', esc_html__( 'Not set.', 'headcount' ) );
		} else {
			/* translators: %s: the last four characters of the stored secret */
			printf( '<p class="description headcount-secret-state">%s</p>', esc_html( sprintf( __( 'Set, ending in …%s. Leave empty to keep it.', 'headcount' ), Headcount_Options::last_four( $stored ) ) ) );
			printf(
				'<label><input type="checkbox" name="%s" value="1"> %s</label>',
				esc_attr( self::name( $key . '_remove' ) ),
				esc_html__( 'Remove it', 'headcount' )
			);
		}
		printf( '<p class="description">%s</p>', esc_html( $description ) );
	}
}
