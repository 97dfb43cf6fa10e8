<?php
/**
 * Removes everything the plugin stored when it is deleted from the Plugins screen.
 *
 * @package Headcount
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

/**
 * Deletes this site's options and cached live figures.
 */
function headcount_uninstall_site(): void {
	delete_option( 'headcount_settings' );
	delete_option( 'headcount_member_salt' );
	delete_transient( 'headcount_live' );
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $headcount_blog_id ) {
		switch_to_blog( (int) $headcount_blog_id );
		headcount_uninstall_site();
		restore_current_blog();
	}
} else {
	headcount_uninstall_site();
}
