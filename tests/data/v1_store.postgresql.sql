--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: facility_rows; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.facility_rows (
    version integer NOT NULL,
    facility_id text NOT NULL,
    name text,
    category text,
    type text,
    district_adcode bigint,
    township text,
    address text,
    lon double precision,
    lat double precision,
    capacity bigint,
    capacity_unit text,
    available_places bigint,
    opening_hours text,
    phone text,
    services text,
    status text,
    updated_at text,
    source text
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    name text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL,
    created_at text NOT NULL,
    failed_logins integer DEFAULT 0 NOT NULL,
    last_failed_at text
);


--
-- Name: versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.versions (
    version integer NOT NULL,
    created_at text NOT NULL,
    user_name text NOT NULL,
    action text NOT NULL,
    file_name text DEFAULT ''::text NOT NULL,
    sha256 text DEFAULT ''::text NOT NULL,
    mode text DEFAULT ''::text NOT NULL,
    restored_from integer,
    added integer NOT NULL,
    changed integer NOT NULL,
    removed integer NOT NULL,
    unchanged integer NOT NULL,
    total integer NOT NULL,
    note text DEFAULT ''::text NOT NULL
);


--
-- Data for Name: facility_rows; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.facility_rows VALUES (1, 'V1-A', '甲站', 'elderly', 'community_station', 150602, '交通街道', '甲站路1号', 109.95, 39.81, 10, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (1, 'V1-B', '乙站', 'elderly', 'community_station', 150602, '交通街道', '乙站路1号', 109.96, 39.81, 20, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (1, 'V1-C', '丙站', 'elderly', 'community_station', 150602, '交通街道', '丙站路1号', 109.97, 39.81, 30, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (2, 'V1-A', '甲站', 'elderly', 'community_station', 150602, '交通街道', '甲站路1号', 109.95, 39.81, 15, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (2, 'V1-B', '乙站', 'elderly', 'community_station', 150602, '交通街道', '乙站路1号', 109.96, 39.81, 20, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (2, 'V1-C', '丙站', 'elderly', 'community_station', 150602, '交通街道', '丙站路1号', 109.97, 39.81, 30, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (2, 'V1-D', '丁站', 'elderly', 'community_station', 150602, '交通街道', '丁站路1号', 109.98, 39.81, 5, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (3, 'V1-A', '甲站', 'elderly', 'community_station', 150602, '交通街道', '甲站路1号', 109.95, 39.81, 10, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (3, 'V1-B', '乙站', 'elderly', 'community_station', 150602, '交通街道', '乙站路1号', 109.96, 39.81, 20, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');
INSERT INTO public.facility_rows VALUES (3, 'V1-C', '丙站', 'elderly', 'community_station', 150602, '交通街道', '丙站路1号', 109.97, 39.81, 30, 'beds', NULL, 'Mo-Fr 08:00-18:00', '0477-8000000', '助餐;日间照料', 'open', '2025-01-01', 'v1 fixture');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('wang', '$argon2id$v=19$m=65536,t=3,p=4$70Zpk3QN/c2QTvjsZ7oDFg$mZS/fRi9zV3bTB8PgAuF/soq4K1sT6CQ96mIZr7EsBs', 'editor', '2026-11-30T06:16:21+00:00', 0, NULL);


--
-- Data for Name: versions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.versions VALUES (1, '2026-11-30T06:16:21+00:00', 'system', 'init', 'v1.csv', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '', NULL, 3, 0, 0, 0, 3, '');
INSERT INTO public.versions VALUES (2, '2026-11-30T06:16:21+00:00', 'wang', 'import', 'v2.csv', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'upsert', NULL, 1, 1, 0, 2, 4, '');
INSERT INTO public.versions VALUES (3, '2026-11-30T06:16:21+00:00', 'li', 'restore', '', '', '', 1, 0, 1, 1, 2, 3, 'restore of version 1');


--
-- Name: facility_rows facility_rows_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.facility_rows
    ADD CONSTRAINT facility_rows_pkey PRIMARY KEY (version, facility_id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (name);


--
-- Name: versions versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.versions
    ADD CONSTRAINT versions_pkey PRIMARY KEY (version);


--
-- Name: facility_rows facility_rows_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.facility_rows
    ADD CONSTRAINT facility_rows_version_fkey FOREIGN KEY (version) REFERENCES public.versions(version) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


